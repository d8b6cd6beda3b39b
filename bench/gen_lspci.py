#!/usr/bin/env python3
"""Writes a synthetic `lspci -vvnnD` report of a large server, for `make bench`'s import
part: DOMAINS PCI segments, each with an Intel host bridge and 24 root ports with ACS; below
each root port a switch (an upstream port, 8 downstream ports with ACS), below each
downstream port a 4-function NIC without ACS. Every function records the IOMMU group Linux
forms for it (a port alone; a NIC's four functions together), so the report verifies.

    bench/gen_lspci.py DOMAINS OUT.txt
"""
import sys

ACS = ("\tCapabilities: [148 v1] Access Control Services\n"
       "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n"
       "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n")


def main():
    domains, out = int(sys.argv[1]), sys.argv[2]
    group = 0
    parts = []

    def fn(seg, bus, dev, f, cls, desc, vd, group_no, body):
        parts.append("%04x:%02x:%02x.%x %s: %s [%s]\n\tIOMMU group: %d\n%s\n" % (seg, bus, dev, f, cls, desc, vd, group_no, body))

    for seg in range(domains):
        fn(seg, 0, 0, 0, "Host bridge [0600]", "Intel Corporation Sky Lake-E DMI3 Registers", "8086:2020", group, "")
        group += 1
        for rp in range(24):
            base = 1 + rp * 10
            dev, f = 1 + rp // 4, rp % 4
            fn(seg, 0, dev, f, "PCI bridge [0604]", "Intel Corporation Sky Lake-E PCI Express Root Port", "8086:2030", group,
               "\tBus: primary=00, secondary=%02x, subordinate=%02x, sec-latency=0\n"
               "\tCapabilities: [90] Express (v2) Root Port (Slot+), MSI 00\n%s" % (base, base + 9, ACS))
            group += 1
            fn(seg, base, 0, 0, "PCI bridge [0604]", "PLX Technology, Inc. PEX 8747 48-Lane PCI Express Gen 3 Switch", "10b5:8747", group,
               "\tBus: primary=%02x, secondary=%02x, subordinate=%02x, sec-latency=0\n"
               "\tCapabilities: [68] Express (v2) Upstream Port, MSI 00\n" % (base, base + 1, base + 9))
            group += 1
            for dn in range(8):
                fn(seg, base + 1, dn, 0, "PCI bridge [0604]", "PLX Technology, Inc. PEX 8747 48-Lane PCI Express Gen 3 Switch", "10b5:8747", group,
                   "\tBus: primary=%02x, secondary=%02x, subordinate=%02x, sec-latency=0\n"
                   "\tCapabilities: [68] Express (v2) Downstream Port (Slot+), MSI 00\n%s" % (base + 1, base + 2 + dn, base + 2 + dn, ACS))
                group += 1
            for dn in range(8):
                for f in range(4):
                    fn(seg, base + 2 + dn, 0, f, "Ethernet controller [0200]", "Broadcom Inc. and subsidiaries NetXtreme BCM5719 Gigabit Ethernet PCIe",
                       "14e4:1657", group, "\tCapabilities: [ac] Express (v2) Endpoint, MSI 00\n\tKernel driver in use: tg3\n")
                group += 1
    with open(out, "w") as f:
        f.write("".join(parts))


main()
