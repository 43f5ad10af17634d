#!/usr/bin/env bash
# Filled in by its issue.
echo "browser-deps: not built yet"
