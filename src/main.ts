import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app/app.module';
import { configureHttpApp } from './app/app.setup';
import { AppConfig, runsApi } from './config/app-config';
import { ConfigValidationError } from './config/config.errors';
import { loadConfigFromEnvironment } from './config/load-config';

function readConfig(): AppConfig {
  try {
    return loadConfigFromEnvironment();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`Refusing to start: invalid configuration\n${error.problems.map((p) => `  ${p}\n`).join('')}`);
    process.exit(1);
  }
}

async function bootstrap(): Promise<void> {
  const config = readConfig();
  // The role decides the root (AppModule.forRoot) and whether there is an HTTP server (here), nothing else.
  if (!runsApi(config)) {
    // Worker role: no HTTP server, only the queue workers and the outbox relay.
    const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), { bufferLogs: true });
    context.useLogger(context.get(Logger));
    context.enableShutdownHooks();
    return;
  }
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  // No Express body parser: bodies are read after the guards (see configureHttpApp).
  configureHttpApp(app, config);
  await app.listen(config.port, '0.0.0.0');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
