#!/usr/bin/env bash
echo "linux/build.sh: not written yet" >&2
exit 1
