#!/bin/sh
cpupower frequency-set -g performance
sudo cpupower -c 0-3,8 frequency-set --governor=schedutil -r
cpupower --cpu all set --perf-bias=0 -e balance_performance
cpupower idle-set -D 10
cpupower -cx2 frequency-set -gpowersave -u 2GHz
cpupower idle-set -d
