#!/usr/bin/env bash
echo "linux/install-test.sh: not written yet" >&2
exit 1
