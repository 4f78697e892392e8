import { loadConfig } from '../../config/load-config';
import { loggerOptions } from './logger.options';

describe('loggerOptions', () => {
  const transportOf = (env: 'development' | 'test', tty: boolean) => {
    const options = loggerOptions(loadConfig({ NODE_ENV: env }), tty).pinoHttp as { transport?: { target: string } };
    return options.transport?.target;
  };

  it('pretty-prints in development when stdout is a terminal', () => {
    expect(transportOf('development', true)).toBe('pino-pretty');
  });

  it('stays JSON when stdout is not a terminal, or outside development', () => {
    expect(transportOf('development', false)).toBeUndefined();
    expect(transportOf('test', true)).toBeUndefined();
  });

  it('can load the pretty transport', () => {
    expect(() => require.resolve('pino-pretty')).not.toThrow();
  });
});
