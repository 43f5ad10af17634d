#!/usr/bin/env bash
# Filled in by its issue.
echo "run: not built yet"
