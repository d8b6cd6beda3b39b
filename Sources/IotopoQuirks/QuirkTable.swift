import IotopoModel

// The kernel's PCI quirks that change IOMMU groups, as data: drivers/pci/quirks.c, read at
// Linux 6.18 (docs/import.md, "The quirk table", says how to add an entry).
//
// Two kinds of entry matter for groups:
// - `pci_dev_acs_enabled[]`: a function whose ACS answer comes from a quirk rather than from
//   its capability. `pci_dev_specific_acs_enabled` walks the table in order and the first
//   function that answers (returns >= 0) decides, so the order below is the kernel's.
// - DMA alias fixups (`DECLARE_PCI_FIXUP_HEADER`): extra requester IDs a function's DMA
//   arrives with, and the bridge flags of `pci_for_each_dma_alias`. Every matching fixup
//   runs.
//
// `since` is the first mainline release with the entry. Function-level dates were checked
// against per-release symbol listings where they exist (pci_quirk_rciep_acs first appears
// in 5.8, pci_quirk_wangxun_nic_acs after 5.19); dates of entries older than 5.0 come from
// the kernel's history as far as we could establish it and may be a release early or late.
// Every kernel in the corpus of real machines is 6.1 or newer, so none of those dates
// decides a measured answer.

/// The kernel's PCI quirks that decide IOMMU groups (`entries`), and how they apply
/// (QuirkMatcher.swift).
public enum QuirkTable {}

private let isolating: ACSFlags = [.sv, .rr, .cr, .uf]
/// `pci_quirk_mf_endpoint_acs`: SV, TB, RR, CR, UF and DT, as if unimplemented.
private let mfEndpoint: ACSFlags = [.sv, .tb, .rr, .cr, .uf, .dt]
/// `pci_quirk_amd_sb_acs` filters the request to RR, CR, EC and DT and provides RR and CR:
/// every flag it filters out counts as provided.
private let amdSouthbridge: ACSFlags = [.sv, .tb, .rr, .cr, .uf]

private func release(_ major: Int, _ minor: Int) -> KernelRelease { KernelRelease(major, minor) }

/// ACS entries for a list of device IDs of one vendor.
private func acs(_ vendor: UInt16, _ ids: [UInt16], _ function: String, _ provides: ACSFlags, since: KernelRelease,
                 _ note: String, portTypes: [PCIPortType]? = nil, multifunctionOnly: Bool = false,
                 rootBusOnly: Bool = false, needsACSCapability: Bool = false, needsAMDIOMMU: Bool = false) -> [PCIQuirk] {
    ids.map {
        PCIQuirk(QuirkMatch(vendor: vendor, devices: $0 ... $0, portTypes: portTypes, multifunctionOnly: multifunctionOnly,
                            rootBusOnly: rootBusOnly, needsACSCapability: needsACSCapability, needsAMDIOMMU: needsAMDIOMMU),
                 .acs(provides: provides), function: function, since: since, note: note)
    }
}

/// ACS entries for ranges of device IDs (a quirk function's `switch` over IDs), or for every
/// device of the vendor (`PCI_ANY_ID`) when `ranges` is nil.
private func acsRanges(_ vendor: UInt16, _ ranges: [ClosedRange<UInt16>]?, _ function: String, _ provides: ACSFlags,
                       since: KernelRelease, _ note: String, portTypes: [PCIPortType]? = nil,
                       needsACSCapability: Bool = false) -> [PCIQuirk] {
    guard let ranges else {
        return [PCIQuirk(QuirkMatch(vendor: vendor, portTypes: portTypes, needsACSCapability: needsACSCapability),
                         .acs(provides: provides), function: function, since: since, note: note)]
    }
    return ranges.map {
        PCIQuirk(QuirkMatch(vendor: vendor, devices: $0, portTypes: portTypes, needsACSCapability: needsACSCapability),
                 .acs(provides: provides), function: function, since: since, note: note)
    }
}

private func fixup(_ vendor: UInt16, _ ids: [UInt16], _ effect: QuirkEffect, _ function: String, since: KernelRelease,
                   _ note: String, subsystem: PCIID? = nil) -> [PCIQuirk] {
    ids.map {
        PCIQuirk(QuirkMatch(vendor: vendor, devices: $0 ... $0, subsystem: subsystem), effect, function: function, since: since, note: note)
    }
}

/// The Intel PCH root ports of `pci_quirk_intel_pch_acs_ids[]` (Red Hat bugzilla 1037684):
/// ACS-like isolation without an ACS capability, once `pci_quirk_enable_intel_pch_acs` has
/// set the chipset's peer-decode and bus-number checks.
private let intelPCH: [(String, [UInt16], KernelRelease)] = [
    ("Ibex Peak", Array(0x3B42 ... 0x3B51), release(3, 15)),
    ("Cougar Point", Array(0x1C10 ... 0x1C1F), release(3, 15)),
    ("Panther Point", Array(0x1E10 ... 0x1E1F), release(3, 15)),
    ("Lynx Point-H", Array(0x8C10 ... 0x8C1F), release(3, 15)),
    ("Lynx Point-LP", Array(0x9C10 ... 0x9C1B), release(3, 15)),
    ("Wildcat Point", Array(0x9C90 ... 0x9C9B), release(3, 15)),
    ("Patsburg (X79)", [0x1D10, 0x1D12, 0x1D14, 0x1D16, 0x1D18, 0x1D1A, 0x1D1C, 0x1D1E], release(3, 19)),
    ("Wellsburg (X99)", Array(0x8D10 ... 0x8D1E), release(3, 19)),
    ("Lynx Point (9 series)", [0x8C90, 0x8C92, 0x8C94, 0x8C96, 0x8C98, 0x8C9A, 0x8C9C, 0x8C9E], release(3, 19)),
]

/// The devfns of slots 0 to 31, functions 0 to 4: `quirk_pex_vca_alias` adds
/// `pci_add_dma_alias(pdev, PCI_DEVFN(slot, 0), 5)` for every slot.
private let vcaAliases = DevfnSet((0 ..< 32).flatMap { slot in (0 ..< 5).map { UInt8(slot * 8 + $0) } })

extension QuirkTable {
    /// Every entry, ACS entries in the order of the kernel's `pci_dev_acs_enabled[]`. One
    /// entry (the AST1150's) is newer than `newest`: it applies only when asked for.
    public static let entries: [PCIQuirk] = acsEntries + aliasEntries

    static let acsEntries: [PCIQuirk] = {
        var t: [PCIQuirk] = []
        // AMD/ATI southbridge functions: no peer-to-peer between functions where an AMD
        // IOMMU is present; the kernel asks for multifunction devices on the root bus and an
        // IVRS table.
        t += acs(0x1002, [0x4385, 0x439C, 0x4383, 0x439D, 0x4384, 0x4399], "pci_quirk_amd_sb_acs", amdSouthbridge,
                 since: release(3, 8), "AMD/ATI SBx00 southbridge function", multifunctionOnly: true, rootBusOnly: true, needsAMDIOMMU: true)
        t += acs(0x1022, [0x780F, 0x7809], "pci_quirk_amd_sb_acs", amdSouthbridge,
                 since: release(3, 19), "AMD FCH PCI bridge / USB OHCI", multifunctionOnly: true, rootBusOnly: true, needsAMDIOMMU: true)
        // Multifunction endpoints the vendor verified do no peer-to-peer between functions.
        t += acs(0x1924, [0x0903, 0x0923], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(3, 15), "Solarflare SFC9020/SFL9021")
        t += acs(0x1924, [0x0A03], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(4, 1), "Solarflare SFC9120")
        t += acs(0x8086, [0x10C6, 0x10DB, 0x10DD, 0x10E1, 0x10F1, 0x10F7, 0x10F8, 0x10F9, 0x10FA, 0x10FB, 0x10FC,
                          0x1507, 0x1514, 0x151C, 0x1529, 0x152A, 0x154D, 0x154F, 0x1551, 0x1558],
                 "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(3, 15), "Intel 82598/82599/X520 10GbE")
        t += acs(0x8086, [0x1509, 0x150E, 0x150F, 0x1510, 0x1511, 0x1516, 0x1527],
                 "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(3, 18), "Intel 82580 GbE")
        t += acs(0x8086, [0x10C9, 0x10E6, 0x10E7, 0x10E8, 0x150A, 0x150D, 0x1518, 0x1526],
                 "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(3, 18), "Intel 82576 GbE")
        t += acs(0x8086, [0x10A7, 0x10A9, 0x10D6], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(3, 18), "Intel 82575 GbE")
        t += acs(0x8086, [0x1521, 0x1522, 0x1523, 0x1524], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(3, 18), "Intel I350 GbE")
        t += acs(0x8086, [0x105E, 0x105F, 0x1060, 0x10D9], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(3, 18),
                 "Intel 82571 GbE (the quad-port parts are left out: they sit behind a switch without ACS)")
        t += acs(0x8086, [0x15B7, 0x15B8], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(4, 15), "Intel I219-LM/V (PCH LAN)")
        // Intel root complex integrated endpoints may do peer-to-peer only with translated
        // addresses (VT-d r3.1, 3.16).
        t += acsRanges(0x8086, nil, "pci_quirk_rciep_acs", isolating, since: release(5, 8),
                       "Intel root complex integrated endpoint", portTypes: [.rcIntegratedEndpoint])
        t += acs(0x17CB, [0x0400, 0x0401], "pci_quirk_qcom_rp_acs", isolating, since: release(4, 16), "Qualcomm QDF2xxx root port")
        t += acs(0x17CB, [0x0115], "pci_quirk_qcom_rp_acs", isolating, since: release(6, 9), "Qualcomm SA8775P root port")
        t += acs(0x1DBF, [0x0401], "pci_quirk_qcom_rp_acs", isolating, since: release(4, 19), "HXT SD4800 root port")
        for (name, ids, since) in intelPCH {
            t += acs(0x8086, ids, "pci_quirk_intel_pch_acs", isolating, since: since, "Intel \(name) PCH root port", portTypes: [.rootPort])
        }
        // Sunrise Point, Union Point and 7th/8th-gen mobile PCH root ports have an ACS
        // capability whose control register sits at offset 8, not 6 (errata 23 and 22): the
        // kernel reads and enables it there, and lspci shows the wrong word.
        t += acsRanges(0x8086, [0xA110 ... 0xA11F, 0xA167 ... 0xA16A], "pci_quirk_intel_spt_pch_acs", isolating,
                       since: release(4, 10), "Intel Sunrise Point PCH root port (ACS control at a dword offset)",
                       portTypes: [.rootPort], needsACSCapability: true)
        t += acsRanges(0x8086, [0xA290 ... 0xA29F, 0xA2E7 ... 0xA2EE], "pci_quirk_intel_spt_pch_acs", isolating,
                       since: release(4, 11), "Intel Union Point PCH root port (ACS control at a dword offset)",
                       portTypes: [.rootPort], needsACSCapability: true)
        t += acsRanges(0x8086, [0x9D10 ... 0x9D1B], "pci_quirk_intel_spt_pch_acs", isolating,
                       since: release(5, 7), "Intel 7th/8th-gen mobile PCH root port (ACS control at a dword offset)",
                       portTypes: [.rootPort], needsACSCapability: true)
        t += acs(0x19A2, [0x0710], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(4, 0), "Emulex BE3-R")
        t += acs(0x10DF, [0x0720], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(4, 0), "Emulex Skyhawk-R")
        t += acsRanges(0x177D, [0xA000 ... 0xA7FF], "pci_quirk_cavium_acs", isolating, since: release(4, 6),
                       "Cavium ThunderX1 root port", portTypes: [.rootPort])
        t += acsRanges(0x177D, [0xAF84 ... 0xAF84, 0xB884 ... 0xB884], "pci_quirk_cavium_acs", isolating, since: release(5, 7),
                       "Cavium ThunderX2/ThunderX3 root port", portTypes: [.rootPort])
        t += acs(0x177D, [0xA026, 0xA059, 0xA060], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(4, 11), "Cavium multifunction device")
        t += acs(0x10E8, [0xE004], "pci_quirk_xgene_acs", isolating, since: release(4, 16), "APM X-Gene root port")
        t += acs(0x1DEF, Array(0xE005 ... 0xE00C), "pci_quirk_xgene_acs", isolating, since: release(5, 14), "Ampere Computing root port")
        t += acs(0x14E4, [0x16D7], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(5, 2), "Broadcom BCM57414 NetXtreme-E")
        t += acs(0x14E4, [0x1750, 0x1751, 0x1752, 0x1760, 0x1761, 0x1762, 0x1763], "pci_quirk_mf_endpoint_acs", mfEndpoint,
                 since: release(5, 11), "Broadcom BCM575xx NetXtreme-E")
        t += acs(0x14E4, [0xD714], "pci_quirk_brcm_acs", isolating, since: release(5, 6), "Broadcom iProc PAXB root port")
        t += acs(0x0014, [0x3C09, 0x3C19, 0x3C29, 0x7A09, 0x7A19, 0x7A29], "pci_quirk_loongson_acs", isolating, since: release(6, 0),
                 "Loongson root port")
        t += acs(0x0014, [0x7A39, 0x7A49, 0x7A59, 0x7A69], "pci_quirk_loongson_acs", isolating, since: release(6, 3), "Loongson root port")
        t += acs(0x1C36, [0x0031], "pci_quirk_al_acs", isolating, since: release(5, 5), "Amazon Annapurna Labs root port",
                 portTypes: [.rootPort])
        t += acs(0x1D17, [0x3038, 0x3104, 0x9083], "pci_quirk_mf_endpoint_acs", mfEndpoint, since: release(5, 10), "Zhaoxin multifunction device")
        t += acs(0x1957, [0x8D81, 0x8DA1, 0x8D83, 0x8D80, 0x8DA0, 0x8D82, 0x8D90, 0x8DB0, 0x8D92, 0x8D91, 0x8DB1, 0x8D93,
                          0x8D89, 0x8DA9, 0x8D8B, 0x8D88, 0x8DA8, 0x8D8A, 0x8D98, 0x8DB8, 0x8D9A, 0x8D99, 0x8DB9, 0x8D9B],
                 "pci_quirk_nxp_rp_acs", isolating, since: release(5, 10), "NXP LX2xx0/LX2xx2 root port")
        // Zhaoxin root and downstream ports: the listed ones isolate; for any other the quirk
        // answers 0 (not isolated), whatever capability the port has.
        t += acsRanges(0x1D17, [0x0710 ... 0x071E, 0x0721 ... 0x0721, 0x0723 ... 0x0752], "pci_quirk_zhaoxin_pcie_ports_acs", isolating,
                       since: release(5, 10), "Zhaoxin root/downstream port", portTypes: [.rootPort, .downstreamPort])
        t += acsRanges(0x1D17, nil, "pci_quirk_zhaoxin_pcie_ports_acs", [], since: release(5, 10),
                       "Zhaoxin root/downstream port not in the quirk's list (the quirk answers 'not isolated')",
                       portTypes: [.rootPort, .downstreamPort])
        // Wangxun NICs direct peer-to-peer upstream; any other Wangxun function is answered
        // 'not isolated'.
        t += acsRanges(0x8088, [0x0100 ... 0x010F, 0x1001 ... 0x1001, 0x2001 ... 0x2001], "pci_quirk_wangxun_nic_acs", isolating,
                       since: release(6, 1), "Wangxun SFxxx/RP1000/RP2000 NIC")
        t += acsRanges(0x8088, [0x5010 ... 0x5010, 0x5025 ... 0x5025, 0x5040 ... 0x5040, 0x5110 ... 0x5110, 0x5125 ... 0x5125,
                                0x5140 ... 0x5140], "pci_quirk_wangxun_nic_acs", isolating, since: release(6, 13), "Wangxun FF5xxx NIC")
        t += acsRanges(0x8088, nil, "pci_quirk_wangxun_nic_acs", [], since: release(6, 1),
                       "Wangxun function not in the quirk's list (the quirk answers 'not isolated')")
        return t
    }()

    static let aliasEntries: [PCIQuirk] = {
        var t: [PCIQuirk] = []
        // quirk_dma_func0_alias: DMA carries function 0's requester ID.
        t += fixup(0x1180, [0xE832, 0xE476], .dmaAliasFunctions([0]), "quirk_dma_func0_alias", since: release(3, 15),
                   "Ricoh card reader (Red Hat bugzilla 605888)")
        t += fixup(0x6766, [0x3D40, 0x3D41], .dmaAliasFunctions([0]), "quirk_dma_func0_alias", since: release(6, 2), "Glenfly GPU/audio")
        // quirk_dma_func1_alias: DMA carries function 1's requester ID, present or not
        // (kernel bugzilla 42679).
        t += fixup(0x1B4B, [0x9123, 0x9128, 0x9130, 0x9172, 0x917A, 0x91A0, 0x9230], .dmaAliasFunctions([1]), "quirk_dma_func1_alias",
                   since: release(3, 15), "Marvell 88SE91xx/92xx SATA")
        t += fixup(0x1B4B, [0x9120, 0x9125, 0x9170, 0x9182, 0x9183, 0x9215, 0x9220, 0x9235], .dmaAliasFunctions([1]),
                   "quirk_dma_func1_alias", since: release(4, 1), "Marvell 88SE91xx/92xx SATA")
        t += fixup(0x1103, [0x0642], .dmaAliasFunctions([1]), "quirk_dma_func1_alias", since: release(3, 15), "HighPoint (TTI) RocketRAID 642L")
        t += fixup(0x1103, [0x0645], .dmaAliasFunctions([1]), "quirk_dma_func1_alias", since: release(4, 14), "HighPoint (TTI) RocketRAID 644L")
        t += fixup(0x197B, [0x2393], .dmaAliasFunctions([1]), "quirk_dma_func1_alias", since: release(3, 15), "JMicron JMB388 eSD")
        t += fixup(0x1C28, [0x0122], .dmaAliasFunctions([1]), "quirk_dma_func1_alias", since: release(4, 1), "Plextor M6E (Marvell 88SS9183)")
        // quirk_fixed_dma_alias: the DMA engine is a hidden device at 01.0 on the bridge's bus.
        t += fixup(0x9005, [0x0285], .dmaAliasDevfns([0x08]), "quirk_fixed_dma_alias", since: release(3, 16), "Adaptec 3405",
                   subsystem: PCIID(vendor: 0x9005, device: 0x02BB))
        t += fixup(0x9005, [0x0285], .dmaAliasDevfns([0x08]), "quirk_fixed_dma_alias", since: release(3, 16), "Adaptec 3805",
                   subsystem: PCIID(vendor: 0x9005, device: 0x02BC))
        // quirk_use_pcie_bridge_dma_alias: a PCIe-to-PCI bridge without an Express
        // capability (kernel bugzilla 44881, 73551).
        t += fixup(0x1B21, [0x1080], .pcieBridgeAlias, "quirk_use_pcie_bridge_dma_alias", since: release(3, 17), "ASMedia ASM1083/1085")
        t += fixup(0x10E3, [0x8113], .pcieBridgeAlias, "quirk_use_pcie_bridge_dma_alias", since: release(3, 17), "Tundra 8113")
        t += fixup(0x1283, [0x8892], .pcieBridgeAlias, "quirk_use_pcie_bridge_dma_alias", since: release(3, 17), "ITE 8892")
        t += fixup(0x1283, [0x8893], .pcieBridgeAlias, "quirk_use_pcie_bridge_dma_alias", since: release(4, 3), "ITE 8893")
        t += fixup(0x8086, [0x244E], .pcieBridgeAlias, "quirk_use_pcie_bridge_dma_alias", since: release(4, 5), "Intel 82801 PCI bridge")
        // NTBs forwarding with other requester IDs.
        t += fixup(0x8086, [0x2260, 0x2264], .dmaAliasDevfns([0x80, 0x88, 0x93]), "quirk_mic_x200_dma_alias", since: release(4, 5),
                   "Intel MIC x200 NTB (10.0, 11.0, 12.3)")
        t += fixup(0x8086, [0x2954, 0x2955, 0x2956, 0x2958, 0x2959, 0x295A], .dmaAliasDevfns(vcaAliases), "quirk_pex_vca_alias",
                   since: release(5, 1), "Intel Visual Compute Accelerator (functions 0-4 of every slot)")
        t += fixup(0x10B5, [0x87B0, 0x87B1], .dmaAliasDevfns(DevfnSet((0 ... 255).map { UInt8($0) })), "quirk_plx_ntb_dma_alias",
                   since: release(5, 6), "PLX NTB (every devfn of its bus)")
        // ASPEED's AST1150 PCIe-to-PCI bridge forwards the requester IDs of the BMC's VGA and
        // USB functions unchanged (PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIASES, tested in the
        // PCI_EXP_TYPE_PCI_BRIDGE case of pci_for_each_dma_alias). Posted on 2025-12-17 (v2,
        // "PCI: Add PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIASES") after the 6.18 this table was read
        // at: iotopo assumes it lands in the release after 6.19 (7.0), which it could not
        // verify; it applies only with --kernel 7.0 or later.
        t += fixup(0x1A03, [0x1150], .bridgeNoAlias, "quirk_aspeed_pci_bridge_no_aliases", since: release(7, 0),
                   "ASPEED AST1150 PCIe-to-PCI bridge of a BMC (not in 6.18; see above)")
        // The IOMMU of Broadcom Vulcan / Cavium ThunderX2 sits at a bridge below the root bus.
        t += fixup(0x14E4, [0x9000, 0x9084], .translationRoot, "quirk_bridge_cavm_thrx2_pcie_root", since: release(4, 12),
                   "Broadcom Vulcan / Cavium ThunderX2 root port")
        return t
    }()
}
