#!/bin/sh
# A workload with "restart": "on-failure" that fails twice, then succeeds.
# /vmtest is bound in from the VM, so the count survives each sandbox.
n=$(cat /vmtest/flaky.count 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > /vmtest/flaky.count
[ "$n" -ge 3 ] || exit 3
echo done > /vmtest/flaky.done
