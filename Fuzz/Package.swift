// swift-tools-version:6.0
// libFuzzer harnesses for iotopo (`make fuzz`, RELIABILITY.md). A package of its own: each
// harness defines LLVMFuzzerTestOneInput and no main (libFuzzer brings it), which only
// links when built with -sanitize=fuzzer and -parse-as-library, as the Makefile does.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, so the checkout's folder name (whatever
// the clone is called) is the package to depend on.
let iotopo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "iotopo-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [
            .product(name: "IotopoFuzzable", package: iotopo),
        ]),
        .executableTarget(name: "FuzzCompile", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzWorkload", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzDiff", dependencies: ["FuzzSupport"]),
        // IotopoImport is in the IotopoFuzzable product; named here since FuzzSupport does
        // not re-export it.
        .executableTarget(name: "FuzzImport", dependencies: [
            "FuzzSupport",
            .product(name: "IotopoFuzzable", package: iotopo),
        ]),
        // The DMAR, IVRS and IORT readers, acpidump text and the DTB reader, then import.
        .executableTarget(name: "FuzzFirmware", dependencies: [
            "FuzzSupport",
            .product(name: "IotopoFuzzable", package: iotopo),
        ]),
        // Golden discovery, includes and golden writes and deletions in a repository of
        // links, FIFOs and devices, against a folder outside it that must never change.
        .executableTarget(name: "FuzzPaths", dependencies: ["FuzzSupport"]),
    ]
)
