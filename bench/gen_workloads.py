#!/usr/bin/env python3
"""Workloads for the engine benchmark on a platform from gen_platform.py: ten million DMAs,
once hitting mostly in the IOTLB (each device reads the same page 500 times in a row) and
once mostly walking (each DMA picks a random device and a random page of its 64 KiB
mapping: 320,000 distinct pages against IOTLBs of 256 entries).

    gen_workloads.py N platform.yaml hit.yaml walk.yaml [STEPS]

STEPS (default ten million) changes the number of DMAs, for the check that memory does not
grow with the number of steps.
"""
import os
import sys

n = int(sys.argv[1])
platform = os.path.basename(sys.argv[2])
steps = int(sys.argv[5]) if len(sys.argv) > 5 else 10_000_000
per_device = max(1, steps // n)
with open(sys.argv[3], "w") as f:
    f.write("workload: {name: bench-hit, topology: %s}\nsteps:\n" % platform)
    f.write("  - dma: {device: {each: \"dev{i}\", count: %d}, op: read, address: 0x10_0000, size: 64}\n" % n)
    f.write("    repeat: %d\n" % per_device)
with open(sys.argv[4], "w") as f:
    f.write("workload: {name: bench-walk, topology: %s}\nsteps:\n" % platform)
    f.write("  - dma: {device: {each: \"dev{i}\", count: %d}, op: read, size: 64}\n" % n)
    f.write("    random: {from: 0x4000_0000, to: 0x4001_0000, align: 4KiB, count: %d, seed: 1}\n" % steps)
