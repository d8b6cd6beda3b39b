// Temporary until QuirkTable.swift lands (being researched); deleted then.
public enum QuirkTable {
    public static let entries: [PCIQuirk] = []
}
