#!/usr/bin/env node
// Placeholder until the collector core lands (issue 6).
process.stdout.write('crosstrace-collector: not built yet\n');
