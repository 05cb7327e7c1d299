describe('edge workspace', () => {
  it('runs its tests from the root command', () => {
    expect(require('../package.json').name).toBe('ekm-edge-collector');
  });
});
