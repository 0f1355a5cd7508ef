#!/usr/bin/env bash
echo "windows/build.sh: not written yet" >&2
exit 1
