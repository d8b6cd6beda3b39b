#!/usr/bin/env python3
"""Writes the device-tree fixtures under topologies/: .dts sources for the lints (read through
dtc at check time), and the .dtb blobs the cases need as blobs (a malformed header cannot be
written as source), compiled here with dtc or built byte by byte. Run from the project root:

    python3 Tests/Fixtures/make-dt-fixtures.py

and commit what it writes. Needs Python 3 and dtc (Debian: device-tree-compiler)."""
import os
import struct
import subprocess

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def write(rel, data):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def dtc(source):
    return subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-", "-"], input=source.encode(),
                          stdout=subprocess.PIPE, check=True).stdout


def expect(rel, lines):
    write(rel, "".join("%s\n" % l for l in lines))


HEAD = """/dts-v1/;

/ {
\tmodel = "%s";
\t#address-cells = <2>;
\t#size-cells = <2>;

\tmemory@80000000 {
\t\tdevice_type = "memory";
\t\treg = <0x0 0x80000000 0x0 0x80000000>;
\t};
"""

SMMU = """
\tapps_smmu: iommu@15000000 {
\t\tcompatible = "qcom,sc7280-smmu-500", "arm,mmu-500";
\t\treg = <0x0 0x15000000 0x0 0x100000>;
\t\t#iommu-cells = <2>;
\t};
"""

# --- an import case as a blob: a Snapdragon (SC7280-like) laptop, from the facts of the
# kernel's qcom/sc7280.dtsi: two MMU-500s with two-cell specifiers (stream ID, SMR mask),
# the GPU's and GMU's stream matches, PCIe with a two-entry iommu-map, and a nested bus
# whose dma-ranges put device address 0 at CPU 0x80000000.
board = HEAD % "Example SC7280 laptop" + SMMU + """
\tadreno_smmu: iommu@3da0000 {
\t\tcompatible = "qcom,sc7280-smmu-500", "qcom,adreno-smmu", "arm,mmu-500";
\t\treg = <0x0 0x03da0000 0x0 0x20000>;
\t\t#iommu-cells = <2>;
\t};

\tsoc@0 {
\t\tcompatible = "simple-bus";
\t\t#address-cells = <2>;
\t\t#size-cells = <2>;
\t\tranges;
\t\tdma-ranges;

\t\tipa@1e40000 {
\t\t\tcompatible = "qcom,sc7280-ipa";
\t\t\tiommus = <&apps_smmu 0x480 0x0>, <&apps_smmu 0x482 0x0>;
\t\t};

\t\tgpu@3d00000 {
\t\t\tcompatible = "qcom,adreno-635.0";
\t\t\tiommus = <&adreno_smmu 0 0x401>;
\t\t};

\t\tgmu@3d6a000 {
\t\t\tcompatible = "qcom,adreno-gmu-635.0";
\t\t\tiommus = <&adreno_smmu 5 0x400>;
\t\t};

\t\tusb@a600000 {
\t\t\tcompatible = "qcom,sc7280-dwc3";
\t\t\tiommus = <&apps_smmu 0xe0 0x0>;
\t\t\tdma-coherent;
\t\t};

\t\tpcie1: pci@1c08000 {
\t\t\tcompatible = "qcom,pcie-sc7280";
\t\t\tdevice_type = "pci";
\t\t\t#address-cells = <3>;
\t\t\t#size-cells = <2>;
\t\t\tlinux,pci-domain = <1>;
\t\t\tbus-range = <0x00 0x01>;
\t\t\tiommu-map = <0x0 &apps_smmu 0x1c80 0x1>, <0x100 &apps_smmu 0x1c81 0x100>;
\t\t};
\t};

\tpcie-bus@0 {
\t\tcompatible = "simple-bus";
\t\t#address-cells = <1>;
\t\t#size-cells = <1>;
\t\tranges;
\t\tdma-ranges = <0x0 0x0 0x80000000 0x80000000>;

\t\tdma-controller@900000 {
\t\t\tcompatible = "qcom,gpi-dma";
\t\t\tiommus = <&apps_smmu 0x136 0x0>;
\t\t};
\t};
};
"""
write("topologies/import/sc7280-laptop/board.dtb", dtc(board))

# --- lints: the .dts that fires each, and the one that must not ------------------------

def case(check, name, body, lines):
    write("topologies/invalid/%s/%s.dts" % (check, name), body)
    expect("topologies/invalid/%s/%s.expect" % (check, name), ["1: warning %s" % check] * lines)


master = """
\tusb@a600000 {
\t\tcompatible = "qcom,dwc3";
\t\tiommus = <&apps_smmu 0xe0 0x0>;
\t};
"""
pcie = """
\tpci@1c08000 {
\t\tdevice_type = "pci";
\t\t#address-cells = <3>;
\t\t#size-cells = <2>;
\t\tlinux,pci-domain = <1>;
\t\tbus-range = <0x00 0x01>;
\t\tiommu-map = %s;
\t};
"""
good_map = "<0x0 &apps_smmu 0x1c00 0x200>"
case("dt-map-cells", "fires", HEAD % "map of 3 cells" + SMMU + master + pcie % "<0x0 &apps_smmu 0x1c00>" + "};\n", 1)
case("dt-map-cells", "passes", HEAD % "map of 4 cells" + SMMU + master + pcie % good_map + "};\n", 0)
case("dt-map-uncovered", "fires", HEAD % "bus 1 unmapped" + SMMU + master + pcie % "<0x0 &apps_smmu 0x1c00 0x100>" + "};\n", 1)
case("dt-map-uncovered", "passes", HEAD % "whole bus range mapped" + SMMU + master + pcie % good_map + "};\n", 0)
case("dt-map-overlap", "fires", HEAD % "overlapping entries" + SMMU + master
     + pcie % "<0x0 &apps_smmu 0x1c00 0x180>, <0x100 &apps_smmu 0x1d00 0x100>" + "};\n", 1)
case("dt-map-overlap", "passes", HEAD % "adjacent entries" + SMMU + master
     + pcie % "<0x0 &apps_smmu 0x1c00 0x100>, <0x100 &apps_smmu 0x1d00 0x100>" + "};\n", 0)
twins = """
\tusb@a600000 {
\t\tcompatible = "qcom,dwc3";
\t\tiommus = <&apps_smmu 0xe0 0x0>;
\t};

\tusb@a800000 {
\t\tcompatible = "qcom,dwc3";
%s\t};
"""
case("dt-missing-iommus", "fires", HEAD % "second USB without iommus" + SMMU + twins % "" + "};\n", 1)
case("dt-missing-iommus", "passes", HEAD % "both USB with iommus" + SMMU + twins % "\t\tiommus = <&apps_smmu 0xa0 0x0>;\n" + "};\n", 0)
# Device addresses from %s (two cells) reach RAM at 0x80000000: from 4 GiB up, a 32-bit
# master reaches none of it.
ranges = """
\tbus@0 {
\t\tcompatible = "simple-bus";
\t\t#address-cells = <2>;
\t\t#size-cells = <2>;
\t\tranges;
\t\tdma-ranges = <%s 0x0 0x80000000 0x0 0x80000000>;

\t\tdma-controller@900000 {
\t\t\tcompatible = "qcom,gpi-dma";
\t\t\tiommus = <&apps_smmu 0x136 0x0>;
\t\t};
\t};
"""
case("dt-dma-ranges-ram", "fires", HEAD % "RAM only above 4 GiB of device addresses" + SMMU + ranges % "0x1 0x0" + "};\n", 1)
case("dt-dma-ranges-ram", "passes", HEAD % "RAM from device address 0" + SMMU + ranges % "0x0 0x0" + "};\n", 0)
second = """
\tgpu_smmu: iommu@3da0000 {
\t\tcompatible = "arm,mmu-500";
\t\treg = <0x0 0x03da0000 0x0 0x20000>;
\t\t#iommu-cells = <2>;
\t};

\tgpu@3d00000 {
\t\tcompatible = "qcom,adreno";
\t\tiommus = %s;
\t};
"""
case("dt-iommus-mixed", "fires", HEAD % "two IOMMUs for one master" + SMMU + second % "<&gpu_smmu 0 0x401>, <&apps_smmu 0x5 0x0>" + "};\n", 1)
case("dt-iommus-mixed", "passes", HEAD % "one IOMMU" + SMMU + second % "<&gpu_smmu 0 0x401>, <&gpu_smmu 5 0x400>" + "};\n", 0)

# --- malformed blobs: firmware-malformed at the header's fields, and at node paths ---------

good = dtc(HEAD % "good" + SMMU + master + "};\n")
write("topologies/invalid/firmware-malformed/passes-dtb.dtb", good)
expect("topologies/invalid/firmware-malformed/passes-dtb.expect", [])
write("topologies/invalid/firmware-malformed/fires-dtb-magic.dtb", b"\xde\xad\xbe\xef" + good[4:])
expect("topologies/invalid/firmware-malformed/fires-dtb-magic.expect", ["1: error firmware-malformed"])
cut = bytearray(good)
struct.pack_into(">I", cut, 4, len(good) + 4096)
write("topologies/invalid/firmware-malformed/fires-dtb-totalsize.dtb", bytes(cut))
expect("topologies/invalid/firmware-malformed/fires-dtb-totalsize.expect", ["1: error firmware-malformed"])
strings = bytearray(good)
struct.pack_into(">I", strings, 12, len(good) - 2)   # the strings block starts past the end
write("topologies/invalid/firmware-malformed/fires-dtb-strings.dtb", bytes(strings))
expect("topologies/invalid/firmware-malformed/fires-dtb-strings.expect", ["1: error firmware-malformed"])
deep = "/dts-v1/;\n/ {\n" + "".join("\t" * (i + 1) + "n%d {\n" % i for i in range(70)) + "".join("\t" * (70 - i) + "};\n" for i in range(70)) + "};\n"
write("topologies/invalid/firmware-malformed/fires-dtb-deep.dtb", dtc(deep))
expect("topologies/invalid/firmware-malformed/fires-dtb-deep.expect", ["1: error firmware-malformed"])
loop = HEAD % "phandle cycle" + """
\tsmmu_a: iommu@1000 {
\t\tcompatible = "arm,mmu-500";
\t\t#iommu-cells = <1>;
\t\tiommus = <&smmu_b 1>;
\t};

\tsmmu_b: iommu@2000 {
\t\tcompatible = "arm,mmu-500";
\t\t#iommu-cells = <1>;
\t\tiommus = <&smmu_a 1>;
\t};
};
"""
write("topologies/invalid/firmware-malformed/fires-dtb-cycle.dtb", dtc(loop))
expect("topologies/invalid/firmware-malformed/fires-dtb-cycle.expect", ["1: error firmware-malformed"])
print("written")
