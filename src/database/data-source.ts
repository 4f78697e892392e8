import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigFromEnvironment } from '../config/load-config';
import { dataSourceOptions } from './data-source-options';

/** Standalone data source for `npm run migration:run | migration:revert | migration:generate`. */
export default new DataSource(dataSourceOptions(loadConfigFromEnvironment()));
