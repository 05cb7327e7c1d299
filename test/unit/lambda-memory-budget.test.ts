import { lambdaMemoryBudgetMb } from '../../functions/config/lake-config';

describe('lambdaMemoryBudgetMb', () => {
  it.each([
    [{ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }, 819],
    [{ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' }, 1415],
    [{ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' }, undefined],
    [{}, undefined],
  ])('%p → %p MB (80%% of the configured memory; none outside Lambda)', (env, want) => {
    expect(lambdaMemoryBudgetMb(env)).toBe(want);
  });
});
