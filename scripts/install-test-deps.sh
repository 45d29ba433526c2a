#!/usr/bin/env bash
# Install the servers that the test suite starts on loopback: MariaDB and Redis.
# (moto's S3 server comes with the Python test extras.) Nothing is started here:
# each test session starts its own servers in a temporary folder and stops them by PID.
set -euo pipefail

missing=()
command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: missing ${missing[*]}; run as root or install them: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the packages from starting system-wide services that the tests would not own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    created_policy=1
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
if [ "$created_policy" -eq 1 ]; then
    rm -f "$policy"
fi
