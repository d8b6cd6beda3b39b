#!/usr/bin/env python3
"""Writes the hand-made ACPI table fixtures under topologies/ (acpidump text, and binary
tables where a fixture is a snapshot or an `acpidump -b` file), with the `.expect` sidecars
of the invalid ones. Each table is built field by field below from the layouts in
docs/firmware.md; run from the project root:

    python3 Tests/Fixtures/make-acpi-fixtures.py

and commit what it writes. Needs only Python 3's standard library."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class Table:
    """An ACPI table: the 36-byte header, then fields appended little-endian."""

    def __init__(self, sig, revision=1, oem_table="IOTOPO"):
        self.b = bytearray(sig.encode() + b"\0\0\0\0" + bytes([revision, 0]) + b"IOTOPO" + oem_table.encode().ljust(8, b" ")[:8]
                           + struct.pack("<I", 1) + b"IOTP" + struct.pack("<I", 1))

    def u8(self, v): self.b += struct.pack("<B", v); return self
    def u16(self, v): self.b += struct.pack("<H", v); return self
    def u32(self, v): self.b += struct.pack("<I", v); return self
    def u64(self, v): self.b += struct.pack("<Q", v); return self
    def raw(self, data): self.b += data; return self
    def here(self): return len(self.b)

    def put16(self, at, v): self.b[at:at + 2] = struct.pack("<H", v)
    def put32(self, at, v): self.b[at:at + 4] = struct.pack("<I", v)

    def finish(self, checksum_ok=True, length=None):
        self.put32(4, length if length is not None else len(self.b))
        self.b[9] = 0
        s = sum(self.b) & 0xFF
        self.b[9] = ((0x100 - s) & 0xFF) ^ (0 if checksum_ok else 0x5A)
        return bytes(self.b)


def dmar(width=39, flags=1):
    t = Table("DMAR")
    t.u8(width - 1).u8(flags).raw(bytes(10))
    return t


def dmar_struct(t, typ, body):
    at = t.here()
    t.u16(typ).u16(0)
    body(t)
    t.put16(at + 2, t.here() - at)
    return at


def scope(t, typ, bus, path, enum=0):
    at = t.here()
    t.u8(typ).u8(6 + 2 * len(path)).u16(0).u8(enum).u8(bus)
    for d, f in path:
        t.u8(d).u8(f)
    return at


def drhd(t, base, flags=0, segment=0, scopes=()):
    def body(t):
        t.u8(flags).u8(0).u16(segment).u64(base)
        for s in scopes:
            scope(t, *s)
    return dmar_struct(t, 0, body)


def rmrr(t, base, limit, scopes, segment=0):
    def body(t):
        t.u16(0).u16(segment).u64(base).u64(limit)
        for s in scopes:
            scope(t, *s)
    return dmar_struct(t, 1, body)


def ivrs(ivinfo=0x00203041):
    t = Table("IVRS", revision=2)
    t.u32(ivinfo).u64(0)
    return t


def ivrs_block(t, typ, flags, body):
    at = t.here()
    t.u8(typ).u8(flags).u16(0)
    body(t)
    t.put16(at + 2, t.here() - at)
    return at


def ivhd_fixed(t, typ, devid, base, segment=0):
    t.u16(devid).u16(0x40).u64(base).u16(segment).u16(0).u32(0x80048F6E)
    if typ != 0x10:
        t.u64(0x0000_0000_2A00_0000).u64(0)


def iort():
    t = Table("IORT", revision=3)
    t.u32(0).u32(48).u32(0)   # node count set by node()
    return t


def node(t, typ, body, mappings=(), revision=0, ident=0):
    """An IORT node; mappings are (input base, id count, output base, output reference or a
    callable giving it, flags). Returns (offset, mapping offsets)."""
    at = t.here()
    t.u8(typ).u16(0).u8(revision).u32(ident).u32(len(mappings)).u32(0)
    body(t)
    maps = []
    if mappings:
        t.put32(at + 12, t.here() - at)
        for m in mappings:
            maps.append(t.here())
            t.u32(m[0]).u32(m[1]).u32(m[2]).u32(0).u32(m[4])
    t.put16(at + 1, t.here() - at)
    t.put32(36, struct.unpack_from("<I", t.b, 36)[0] + 1)
    return at, maps


def fix_ref(t, mapping_at, target):
    t.put32(mapping_at + 12, target)


def acpidump(sig, data, address=0x00000000BB7FE000):
    """`acpidump` text of one table: `SIG @ 0x...`, then rows of 16 bytes
    (acpi_ut_dump_buffer: `%8.4X: `, 16 columns of `%02X `, ASCII)."""
    out = "%s @ 0x%016x\n" % (sig, address)
    for at in range(0, len(data), 16):
        row = data[at:at + 16]
        hexs = "".join("%02X " % x for x in row).ljust(48)
        asc = "".join(chr(x) if 0x20 <= x < 0x7F else "." for x in row)
        out += "    %04X: %s %s\n" % (at, hexs, asc)
    return out + "\n"


def line_of(offset):
    """The acpidump line holding byte `offset` of a one-table dump: header on line 1."""
    return 2 + offset // 16


def write(rel, data):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def expect(rel, lines):
    write(rel, "".join("%s\n" % l for l in lines))


# --- import cases: tables with lspci text ---------------------------------------------------

# An Intel laptop (the lspci.txt beside it): a graphics unit for the iGPU, an
# INCLUDE_PCI_ALL unit for the rest, RMRRs for USB and graphics, an ATSR for the root port.
t = dmar(width=39, flags=0x05)
drhd(t, 0xFED90000, scopes=[(1, 0, [(2, 0)])])
drhd(t, 0xFED91000, flags=1, scopes=[(3, 0xF0, [(0x1F, 0)], 2), (4, 0, [(0x1F, 0)], 0)])
rmrr(t, 0x7A266000, 0x7A285FFF, [(1, 0, [(0x14, 0)])])
rmrr(t, 0x7C000000, 0x7FFFFFFF, [(1, 0, [(2, 0)])])
# An RMRR for the NVMe drive below root port 00:1c.0: a two-hop path.
rmrr(t, 0x7B000000, 0x7B0FFFFF, [(1, 0, [(0x1C, 0), (0, 0)])])
dmar_struct(t, 2, lambda t: (t.u8(0).u8(0).u16(0), scope(t, 2, 0, [(0x1C, 0)])))
write("topologies/import/intel-laptop-dmar/acpidump.txt", acpidump("DMAR", t.finish()))

# An AMD desktop (lspci.txt beside it): the IOMMU as IVHD 10h and 11h, the FCH's alias
# range, IOAPIC and HPET, an IVMD unity range for the xHCI; as `acpidump -b` writes it.
t = ivrs()
for typ in (0x10, 0x11):
    def body(t, typ=typ):
        ivhd_fixed(t, typ, 0x0002, 0xFEB80000)
        t.u8(0x03).u16(0x0008).u8(0)            # range 00:01.0 ...
        t.u8(0x04).u16(0x00FF).u8(0)            # ... 00:1f.7
        t.u8(0x03).u16(0x0100).u8(0)            # range 01:00.0 ...
        t.u8(0x04).u16(0x07FF).u8(0)            # ... 07:1f.7
        t.u8(0x43).u16(0xFF00).u8(0).u8(0).u16(0x00A4).u8(0)   # alias range ff:00.0 ...
        t.u8(0x04).u16(0xFFFF).u8(0)            # ... ff:1f.7, as 00:14.4
        t.u8(0x48).u16(0).u8(0xD7).u8(0x21).u16(0x00A0).u8(1)  # IOAPIC 33 as 00:14.0
        t.u8(0x48).u16(0).u8(0).u8(0).u16(0x00A0).u8(2)        # HPET 0 as 00:14.0
    ivrs_block(t, typ, 0xB0, body)
ivrs_block(t, 0x21, 0x07, lambda t: t.u16(0x0300).u16(0).u64(0).u64(0x9D000000).u64(0x200000))
write("topologies/import/amd-desktop-ivrs/ivrs.dat", t.finish())

# An Arm server (lspci.txt beside it): two PCI segments sharing one SMMUv3, each root complex
# mapping its requester IDs to its own stream-ID range, MSIs to one ITS; a named component
# behind the same SMMU and an RMR for it.
t = iort()
its, _ = node(t, 0, lambda t: t.u32(1).u32(0))
smmu, smmu_maps = node(t, 4, lambda t: (t.u64(0x40000000).u32(1).u32(0).u64(0).u32(0)
                                        .u32(0x20).u32(0x21).u32(0x22).u32(0x23).u32(0).u32(0)),
                       mappings=[(0, 0, 0x10000, None, 1), (0, 0xFFFF, 0, None, 0)], revision=4)
fix_ref(t, smmu_maps[0], its)
fix_ref(t, smmu_maps[1], its)
rc0, rc0_maps = node(t, 2, lambda t: t.u64(1).u32(1).u32(0).u8(48).raw(bytes(3)), mappings=[(0, 0xFFFF, 0, None, 0)], revision=1)
fix_ref(t, rc0_maps[0], smmu)
rc1, rc1_maps = node(t, 2, lambda t: t.u64(1).u32(1).u32(1).u8(48).raw(bytes(3)), mappings=[(0, 0xFFFF, 0x10000, None, 0)], revision=1)
fix_ref(t, rc1_maps[0], smmu)
nc, nc_maps = node(t, 1, lambda t: t.u32(0).u64(0).u8(44).raw(b"\\_SB.ETH0\0\0\0"), mappings=[(0, 0, 0x20000, None, 1)])
fix_ref(t, nc_maps[0], smmu)
rmr, rmr_maps = node(t, 6, lambda t: t.u32(0).u32(1).u32(28).u64(0x9E000000).u64(0x10000).u32(0),
                     mappings=[(0, 0, 0x20000, None, 1)], revision=1)
fix_ref(t, rmr_maps[0], smmu)
write("topologies/import/arm-server-iort/acpidump.txt", acpidump("IORT", t.finish()))

# An Arm SoC laptop's IORT alone (no lspci): two SMMUv2 for platform masters, one SMMUv3 for
# two PCIe root complexes, as the Snapdragon laptops' tables are laid out.
t = iort()
its, _ = node(t, 0, lambda t: t.u32(1).u32(0))
ctx = lambda t: (t.u64(0x15000000).u64(0x100000).u32(3).u32(0).u32(60).u32(0).u32(60).u32(0).u32(60))
mmu0, _ = node(t, 3, ctx)
mmu1, _ = node(t, 3, lambda t: (t.u64(0x3DA0000).u64(0x10000).u32(3).u32(0).u32(60).u32(0).u32(60).u32(0).u32(60)))
v3, _ = node(t, 4, lambda t: (t.u64(0x14F80000).u32(0).u32(0).u64(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0)), revision=4)
for seg, out in ((0, 0x0), (1, 0x10000)):
    _, maps = node(t, 2, lambda t, seg=seg: t.u64(1).u32(0).u32(seg).u8(36).raw(bytes(3)), mappings=[(0, 0xFFFF, out, None, 0)], revision=1)
    fix_ref(t, maps[0], v3)
for name, ids, target in ((b"\\_SB.GPU0", [0x0, 0x1], mmu1), (b"\\_SB.UFS0", [0x4A0], mmu0), (b"\\_SB.USB0", [0xC0F], mmu0)):
    _, maps = node(t, 1, lambda t, name=name: t.u32(0).u64(0).u8(36).raw(name + b"\0" * (1 + (-len(name) - 1) % 4)),
                   mappings=[(0, 0, i, None, 1) for i in ids])
    for m in maps:
        fix_ref(t, m, target)
write("topologies/import/soc-laptop-iort.txt", acpidump("IORT", t.finish()))

# --- invalid fixtures: one per firmware check, the one that fires and the one that must not ---

# firmware-malformed: a DRHD of length 0 (Linux stops its walk there, dmar_walk_remapping_entries).
t = dmar()
drhd(t, 0xFED90000, flags=1)
bad = t.here()
t.u16(0).u16(0).raw(bytes(12))
write("topologies/invalid/firmware-malformed/fires-zero-length.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-malformed/fires-zero-length.expect", ["%d: error firmware-malformed" % line_of(bad + 2)])

# firmware-malformed: an IVRS whose Length says more than the dump holds.
t = ivrs()
ivrs_block(t, 0x10, 0xB0, lambda t: (ivhd_fixed(t, 0x10, 2, 0xFEB80000), t.u8(1).u16(0).u8(0)))
data = t.finish(length=len(t.b) + 64)
write("topologies/invalid/firmware-malformed/fires-cut-off.txt", acpidump("IVRS", data))
expect("topologies/invalid/firmware-malformed/fires-cut-off.expect", ["%d: error firmware-malformed" % line_of(4)])

# firmware-malformed: an IVHD device entry whose length cannot be known (type C5h).
t = ivrs()
at = {}
def body(t):
    ivhd_fixed(t, 0x10, 2, 0xFEB80000)
    t.u8(2).u16(0x10).u8(0)
    at["e"] = t.here()
    t.u8(0xC5).u16(0).u8(0)
ivrs_block(t, 0x10, 0xB0, body)
write("topologies/invalid/firmware-malformed/fires-entry-length.txt", acpidump("IVRS", t.finish()))
expect("topologies/invalid/firmware-malformed/fires-entry-length.expect", ["%d: error firmware-malformed" % line_of(at["e"])])

t = dmar()
drhd(t, 0xFED90000, flags=1, scopes=[(3, 0xF0, [(0x1F, 0)], 2)])
rmrr(t, 0x7A266000, 0x7A285FFF, [(1, 0, [(0x14, 0)])])
write("topologies/invalid/firmware-malformed/passes.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-malformed/passes.expect", [])

# firmware-checksum: a warning for DMAR (Linux uses it), an error for IVRS (check_ivrs_checksum).
t = dmar()
drhd(t, 0xFED90000, flags=1)
write("topologies/invalid/firmware-checksum/fires-dmar.txt", acpidump("DMAR", t.finish(checksum_ok=False)))
expect("topologies/invalid/firmware-checksum/fires-dmar.expect", ["%d: warning firmware-checksum" % line_of(9)])
t = ivrs()
ivrs_block(t, 0x10, 0xB0, lambda t: (ivhd_fixed(t, 0x10, 2, 0xFEB80000), t.u8(1).u16(0).u8(0)))
write("topologies/invalid/firmware-checksum/fires-ivrs.txt", acpidump("IVRS", t.finish(checksum_ok=False)))
expect("topologies/invalid/firmware-checksum/fires-ivrs.expect", ["%d: error firmware-checksum" % line_of(9)])
t = ivrs()
ivrs_block(t, 0x10, 0xB0, lambda t: (ivhd_fixed(t, 0x10, 2, 0xFEB80000), t.u8(2).u16(0x0010).u8(0)))
write("topologies/invalid/firmware-checksum/passes.txt", acpidump("IVRS", t.finish()))
expect("topologies/invalid/firmware-checksum/passes.expect", [])

# firmware-unknown-entry: an IORT node of type 9 and a DMAR scope of type 7, both skipped.
t = iort()
n9, _ = node(t, 9, lambda t: t.u32(0))
write("topologies/invalid/firmware-unknown-entry/fires-iort.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-unknown-entry/fires-iort.expect", ["%d: warning firmware-unknown-entry" % line_of(n9)])
t = dmar()
at = {}
def body(t):
    t.u8(1).u8(0).u16(0).u64(0xFED90000)
    at["s"] = scope(t, 7, 0, [(1, 0)])
dmar_struct(t, 0, body)
write("topologies/invalid/firmware-unknown-entry/fires-dmar.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-unknown-entry/fires-dmar.expect", ["%d: warning firmware-unknown-entry" % line_of(at["s"])])
t = iort()
node(t, 0, lambda t: t.u32(1).u32(0))
write("topologies/invalid/firmware-unknown-entry/passes.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-unknown-entry/passes.expect", [])

# firmware-include-all-duplicate: two INCLUDE_PCI_ALL units on segment 0.
t = dmar()
drhd(t, 0xFED90000, flags=1)
second = drhd(t, 0xFED91000, flags=1)
write("topologies/invalid/firmware-include-all-duplicate/fires.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-include-all-duplicate/fires.expect", ["%d: warning firmware-include-all-duplicate" % line_of(second)])
t = dmar()
drhd(t, 0xFED90000, flags=1)
drhd(t, 0xFED91000, flags=1, segment=1)
write("topologies/invalid/firmware-include-all-duplicate/passes.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-include-all-duplicate/passes.expect", [])

# firmware-bad-reference: a root complex mapping to an offset where no node starts, and one
# to a named component.
t = iort()
its, _ = node(t, 0, lambda t: t.u32(1).u32(0))
pmcg, _ = node(t, 5, lambda t: t.u64(0x50000000).u32(0).u32(0).u64(0))
rc, maps = node(t, 2, lambda t: t.u64(1).u32(0).u32(0).u8(48).raw(bytes(3)),
                mappings=[(0, 0xFF, 0, None, 0), (0x100, 0xFF, 0, None, 0)], revision=1)
fix_ref(t, maps[0], 0x999)
fix_ref(t, maps[1], pmcg)
write("topologies/invalid/firmware-bad-reference/fires.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-bad-reference/fires.expect",
       ["%d: warning firmware-bad-reference" % line_of(maps[0] + 12), "%d: warning firmware-bad-reference" % line_of(maps[1] + 12)])
t = iort()
its, _ = node(t, 0, lambda t: t.u32(1).u32(0))
rc, maps = node(t, 2, lambda t: t.u64(1).u32(0).u32(0).u8(48).raw(bytes(3)), mappings=[(0, 0xFFFF, 0, None, 0)], revision=1)
fix_ref(t, maps[0], its)
write("topologies/invalid/firmware-bad-reference/passes.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-bad-reference/passes.expect", [])

# firmware-mapping-overlap: a root complex whose first mapping's count is one too many (the
# common off-by-one), and a real overlap.
t = iort()
v3, _ = node(t, 4, lambda t: (t.u64(0x40000000).u32(0).u32(0).u64(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0)), revision=4)
rc, maps = node(t, 2, lambda t: t.u64(1).u32(0).u32(0).u8(48).raw(bytes(3)),
                mappings=[(0, 0x100, 0, None, 0), (0x100, 0xFF, 0x1000, None, 0), (0x180, 0xFF, 0x2000, None, 0)], revision=1)
for m in maps:
    fix_ref(t, m, v3)
write("topologies/invalid/firmware-mapping-overlap/fires.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-mapping-overlap/fires.expect",
       ["%d: warning firmware-mapping-overlap" % line_of(maps[1]), "%d: warning firmware-mapping-overlap" % line_of(maps[2])])
t = iort()
v3, _ = node(t, 4, lambda t: (t.u64(0x40000000).u32(0).u32(0).u64(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0)), revision=4)
rc, maps = node(t, 2, lambda t: t.u64(1).u32(0).u32(0).u8(48).raw(bytes(3)),
                mappings=[(0, 0xFF, 0, None, 0), (0x100, 0xFF, 0x1000, None, 0)], revision=1)
for m in maps:
    fix_ref(t, m, v3)
write("topologies/invalid/firmware-mapping-overlap/passes.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-mapping-overlap/passes.expect", [])

# firmware-bad-reserved-range: an RMRR not page-aligned, and one that ends before it starts.
t = dmar()
drhd(t, 0xFED90000, flags=1)
r1 = rmrr(t, 0x7A266800, 0x7A285FFF, [(1, 0, [(0x14, 0)])])
r2 = rmrr(t, 0x7B000000, 0x7AFFFFFF, [(1, 0, [(0x14, 0)])])
write("topologies/invalid/firmware-bad-reserved-range/fires.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-bad-reserved-range/fires.expect",
       ["%d: warning firmware-bad-reserved-range" % line_of(r1 + 8), "%d: warning firmware-bad-reserved-range" % line_of(r2 + 8)])
t = dmar()
drhd(t, 0xFED90000, flags=1)
rmrr(t, 0x7A266000, 0x7A285FFF, [(1, 0, [(0x14, 0)])])
write("topologies/invalid/firmware-bad-reserved-range/passes.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-bad-reserved-range/passes.expect", [])

print("written")


# --- firmware-scope-absent: tables held against PCI functions, as a snapshot ---------------

def config(vendor, device, cls, header=0, buses=None):
    """A 64-byte config space header (what sysfs gives a user): no capability list."""
    b = bytearray(64)
    struct.pack_into("<HH", b, 0, vendor, device)
    b[8] = 0x10
    b[9] = cls & 0xFF
    struct.pack_into("<H", b, 0x0A, cls >> 8)
    b[0x0E] = header
    if buses:
        b[0x18], b[0x19], b[0x1A] = buses
    return bytes(b)


def snapshot(rel, functions, tables):
    write(rel + "/iotopo-snapshot", "iotopo snapshot 1\nkernel: 6.8.0-45-generic\ncmdline: intel_iommu=on\n")
    for addr, (cfg, group) in functions.items():
        write(rel + "/sys/bus/pci/devices/%s/config" % addr, cfg)
        write(rel + "/sys/bus/pci/devices/%s/iommu_group" % addr, "%d\n" % group)
    for sig, data in tables.items():
        write(rel + "/sys/firmware/acpi/tables/" + sig, data)


laptop = {
    "0000:00:00.0": (config(0x8086, 0x3e30, 0x060000), 1),
    "0000:00:02.0": (config(0x8086, 0x3e92, 0x030000), 0),
    "0000:00:14.0": (config(0x8086, 0xa36d, 0x0c0330), 2),
}
t = dmar()
drhd(t, 0xFED90000, scopes=[(1, 0, [(2, 0)])])
drhd(t, 0xFED91000, flags=1)
absent = {}
def body(t):
    t.u16(0).u16(0).u64(0x7A266000).u64(0x7A285FFF)
    scope(t, 1, 0, [(0x14, 0)])
    absent["s"] = scope(t, 1, 0, [(0x1D, 0)])   # 00:1d.0: not in this machine
dmar_struct(t, 1, body)
snapshot("topologies/invalid/firmware-scope-absent/fires", laptop, {"DMAR": t.finish()})
expect("topologies/invalid/firmware-scope-absent/fires.expect", ["sys/firmware/acpi/tables/DMAR:1: warning firmware-scope-absent"])
t = dmar()
drhd(t, 0xFED90000, scopes=[(1, 0, [(2, 0)])])
drhd(t, 0xFED91000, flags=1)
rmrr(t, 0x7A266000, 0x7A285FFF, [(1, 0, [(0x14, 0)])])
snapshot("topologies/invalid/firmware-scope-absent/passes", laptop, {"DMAR": t.finish()})
expect("topologies/invalid/firmware-scope-absent/passes.expect", [])
print("snapshots written")


# --- firmware-id-too-wide: a named component mapping past an SMMUv2's 16-bit stream IDs ---

def smmu2_with_nc(out_base):
    t = iort()
    mmu, _ = node(t, 3, lambda t: (t.u64(0x15000000).u64(0x100000).u32(3).u32(0).u32(60).u32(0).u32(60).u32(0).u32(60)))
    nc, maps = node(t, 1, lambda t: t.u32(0).u64(0).u8(36).raw(b"\\_SB.UFS0\0\0\0"), mappings=[(0, 0, out_base, None, 1)])
    fix_ref(t, maps[0], mmu)
    return t, maps[0]

t, m = smmu2_with_nc(0x80001024)
write("topologies/invalid/firmware-id-too-wide/fires.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-id-too-wide/fires.expect", ["%d: warning firmware-id-too-wide" % line_of(m + 8)])
t, m = smmu2_with_nc(0x1024)
write("topologies/invalid/firmware-id-too-wide/passes.txt", acpidump("IORT", t.finish()))
expect("topologies/invalid/firmware-id-too-wide/passes.expect", [])
print("id-too-wide written")


# --- firmware-malformed: two DRHD units' scopes naming one device ----------------------------
t = dmar()
drhd(t, 0xFED90000, scopes=[(1, 0, [(2, 0)])])
second_scope = t.here() + 16
drhd(t, 0xFED91000, scopes=[(1, 0, [(2, 0)])])
write("topologies/invalid/firmware-malformed/fires-overlapping-scopes.txt", acpidump("DMAR", t.finish()))
expect("topologies/invalid/firmware-malformed/fires-overlapping-scopes.expect", ["%d: error firmware-malformed" % line_of(second_scope)])


# --- firmware-rmrr-placement: RMRRs held against the snapshot's /proc/iomem ------------------
IOMEM = """00000000-00000fff : Reserved
00001000-0009ffff : System RAM
000a0000-000fffff : Reserved
00100000-7a265fff : System RAM
7a266000-7a285fff : Reserved
7a286000-7bffffff : System RAM
7c000000-7fffffff : Reserved
80000000-dfffffff : PCI Bus 0000:00
  c0000000-cfffffff : 0000:00:02.0
  d0000000-d00fffff : 0000:00:14.0
100000000-17fffffff : System RAM
"""
def rmrr_snapshot(rel, ranges):
    t = dmar()
    drhd(t, 0xFED90000, scopes=[(1, 0, [(2, 0)])])
    drhd(t, 0xFED91000, flags=1)
    offsets = []
    for base, limit, dev in ranges:
        offsets.append(rmrr(t, base, limit, [(1, 0, [dev])]))
    snapshot(rel, laptop, {"DMAR": t.finish()})
    write(rel + "/proc/iomem", IOMEM)
    return offsets

rmrr_snapshot("topologies/invalid/firmware-rmrr-placement/fires", [
    (0x7A266000, 0x7A285FFF, (0x14, 0)),   # in Reserved: fine
    (0x7B000000, 0x7B0FFFFF, (0x14, 0)),   # in System RAM the OS owns
    (0xC0000000, 0xC00FFFFF, (0x14, 0)),   # in 00:02.0's BAR, for 00:14.0
])
expect("topologies/invalid/firmware-rmrr-placement/fires.expect",
       ["sys/firmware/acpi/tables/DMAR:1: warning firmware-rmrr-placement"] * 2)
rmrr_snapshot("topologies/invalid/firmware-rmrr-placement/passes", [(0x7A266000, 0x7A285FFF, (0x14, 0)), (0x7C000000, 0x7FFFFFFF, (2, 0))])
expect("topologies/invalid/firmware-rmrr-placement/passes.expect", [])
print("rmrr written")


# --- firmware-alias-conflict: IVRS aliases held against the PCI topology ---------------------
amd = {
    "0000:00:00.0": (config(0x1022, 0x1480, 0x060000), 0),
    "0000:00:14.4": (config(0x1022, 0x4384, 0x060401, header=1, buses=(0, 2, 2)), 1),
    "0000:02:00.0": (config(0x1106, 0x3044, 0x0c0010), 1),
}
def ivrs_alias(alias):
    t = ivrs()
    at = {}
    def body(t):
        ivhd_fixed(t, 0x10, 0x0002, 0xFEB80000)
        t.u8(0x03).u16(0x0008).u8(0)
        t.u8(0x04).u16(0x00FF).u8(0)
        at["a"] = t.here()
        t.u8(0x42).u16(0x0200).u8(0).u8(0).u16(alias).u8(0)    # 02:00.0 as ALIAS
    ivrs_block(t, 0x10, 0xB0, body)
    return t.finish(), at["a"]

data, _ = ivrs_alias(0x0098)   # as 00:13.0: no bridge gives that
snapshot("topologies/invalid/firmware-alias-conflict/fires", amd, {"IVRS": data})
expect("topologies/invalid/firmware-alias-conflict/fires.expect", ["sys/firmware/acpi/tables/IVRS:1: warning firmware-alias-conflict"])
data, _ = ivrs_alias(0x00A4)   # as 00:14.4, the conventional bridge above it
snapshot("topologies/invalid/firmware-alias-conflict/passes", amd, {"IVRS": data})
expect("topologies/invalid/firmware-alias-conflict/passes.expect", [])
print("alias written")
