import { toApiSerial, toMeterId } from '../../functions/core/readings/meter-id';

describe('meter ids', () => {
  it.each([
    ['350000900', '000350000900'],
    ['000350000900', '000350000900'],
    [10068, '000000010068'],
  ])('pads %p to the 12-digit id %p', (input, expected) => {
    expect(toMeterId(input)).toBe(expected);
  });

  it('drops leading zeros for the Realtime/Summary APIs', () => {
    expect(toApiSerial('000350000900')).toBe('350000900');
  });

  it.each(['', 'abc', '1234567890123', '12-34'])('fails when the address is %p', (bad) => {
    expect(() => toMeterId(bad, 'meters')).toThrow(/meters: expected a meter address/);
  });
});
