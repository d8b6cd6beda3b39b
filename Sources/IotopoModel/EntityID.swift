/// A typed index into one of the model's entity arrays.
///
/// `EntityID<Device>` and `EntityID<Bus>` are different types, so a bus index can never be
/// used to look up a device. The tag type is only a marker.
public struct EntityID<Tag>: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Index into the entity array.
    public let raw: Int32

    /// Creates an ID from an array index.
    @inlinable public init(_ raw: Int32) { self.raw = raw }

    /// Creates an ID from an array index.
    @inlinable public init(_ index: Int) { self.raw = Int32(truncatingIfNeeded: index) }

    /// The array index.
    @inlinable public var index: Int { Int(raw) }

    public static func < (a: EntityID, b: EntityID) -> Bool { a.raw < b.raw }

    public var description: String { "#\(raw)" }
}

/// ID of a memory region.
public typealias RegionID = EntityID<MemoryRegion>
/// ID of a bus.
public typealias BusID = EntityID<Bus>
/// ID of a bridge.
public typealias BridgeID = EntityID<Bridge>
/// ID of an IOMMU.
public typealias IOMMUID = EntityID<IOMMU>
/// ID of a device.
public typealias DeviceID = EntityID<Device>
/// ID of a translation domain.
public typealias DomainID = EntityID<Domain>

extension Array {
    /// Element at a typed ID. Mutation goes through in place (`_modify`): with a plain
    /// get/set, `perBus[bus].append(d)` copied the element's array on every append, so N
    /// devices on one bus took time quadratic in N.
    @inlinable public subscript<T>(id: EntityID<T>) -> Element {
        get { self[id.index] }
        _modify { yield &self[id.index] }
    }

    /// Every typed ID of this array, in order.
    @inlinable public func ids<T>(_: T.Type = T.self) -> [EntityID<T>] {
        (0 ..< count).map { EntityID<T>($0) }
    }
}
