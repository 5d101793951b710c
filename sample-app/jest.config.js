/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testTimeout: 60000,
  // The OTLP tests start real server processes on fixed-free ports: one file at a time.
  maxWorkers: 1,
};
