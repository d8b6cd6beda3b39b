#!/usr/bin/env python3
"""A large device tree for the import benchmark: an SoC with 8 SMMUs, NODES masters with
`iommus` (two specifiers each, stream ID and mask), `reg`, `compatible` and a few more
properties, in buses of 256, and 8 PCIe host bridges with iommu-maps; compiled with dtc.

    bench/gen_dtb.py NODES OUT.dtb"""
import subprocess
import sys

n = int(sys.argv[1])
out = sys.argv[2]
lines = ['/dts-v1/;', '/ {', '\tmodel = "iotopo benchmark SoC";', '\t#address-cells = <2>;', '\t#size-cells = <2>;',
         '\tmemory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x8 0x0>; };']
for s in range(8):
    lines.append('\tsmmu%d: iommu@%x { compatible = "arm,mmu-500"; reg = <0x0 0x%x 0x0 0x100000>; #iommu-cells = <2>; };' % (s, 0x15000000 + s * 0x100000, 0x15000000 + s * 0x100000))
for b in range((n + 255) // 256):
    lines.append('\tbus@%x {' % (0x1000000 * (b + 1)))
    lines.append('\t\tcompatible = "simple-bus"; #address-cells = <2>; #size-cells = <2>; ranges; dma-ranges;')
    for i in range(b * 256, min(n, (b + 1) * 256)):
        s = i % 8
        lines.append('\t\tdev@%x { compatible = "vendor,dev-%d", "vendor,dev"; reg = <0x0 0x%x 0x0 0x1000>; '
                     'interrupts = <0 %d 4>; clocks = <%d>; iommus = <&smmu%d 0x%x 0x0>, <&smmu%d 0x%x 0x0>; dma-coherent; };'
                     % (0x1000000 * (b + 1) + i * 0x1000, i % 97, 0x1000000 * (b + 1) + i * 0x1000, i % 960, i, s, (2 * i) & 0x7fff, s, (2 * i + 1) & 0x7fff))
    lines.append('\t};')
for h in range(8):
    lines.append('\tpcie@%x { device_type = "pci"; #address-cells = <3>; #size-cells = <2>; linux,pci-domain = <%d>; '
                 'bus-range = <0x0 0xff>; iommu-map = <0x0 &smmu%d 0x%x 0x8000>, <0x8000 &smmu%d 0x%x 0x8000>; };'
                 % (0x40000000 + h * 0x100000, h, h, 0x0, h, 0x0))
lines.append('};')
subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, "-"], input="\n".join(lines).encode(), check=True)
