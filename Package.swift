// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "iotopo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "iotopo", targets: ["iotopo"]),
        // For the libFuzzer harnesses in Fuzz/ (a package of their own).
        .library(name: "IotopoFuzzable", targets: ["IotopoSource", "IotopoModel", "IotopoQuirks", "IotopoFirmware", "IotopoImport", "IotopoCompiler", "IotopoEngine", "IotopoWorkload", "IotopoGolden"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // libfdt from dtc, for flattened device trees (Debian libfdt-dev ships no pkg-config
        // file, so the module map links -lfdt itself).
        .systemLibrary(
            name: "CFDT",
            providers: [.apt(["libfdt-dev"])]
        ),
        .target(name: "IotopoSource"),
        .target(name: "IotopoYAML", dependencies: ["CYAML", "IotopoSource"]),
        .target(name: "IotopoModel", dependencies: ["IotopoSource"]),
        .target(name: "IotopoQuirks", dependencies: ["IotopoModel"]),
        // Readers of firmware tables and blobs (ACPI DMAR, IVRS, IORT; flattened device trees):
        // bytes in, typed tables and located problems out. Depends on nothing.
        .target(name: "IotopoFirmware", dependencies: ["CFDT"]),
        .target(name: "IotopoImport", dependencies: ["IotopoSource", "IotopoModel", "IotopoQuirks", "IotopoFirmware"]),
        .target(name: "IotopoAnalysis", dependencies: ["IotopoSource", "IotopoModel"]),
        .target(name: "IotopoCompiler", dependencies: ["IotopoSource", "IotopoYAML", "IotopoModel", "IotopoQuirks", "IotopoFirmware", "IotopoImport", "IotopoAnalysis"]),
        .target(name: "IotopoEngine", dependencies: ["IotopoSource", "IotopoModel"]),
        .target(name: "IotopoWorkload", dependencies: ["IotopoSource", "IotopoYAML", "IotopoModel", "IotopoCompiler", "IotopoEngine"]),
        .target(name: "IotopoReport", dependencies: ["IotopoSource", "IotopoModel", "IotopoFirmware", "IotopoImport", "IotopoCompiler", "IotopoWorkload", "IotopoEngine", "IotopoAnalysis"]),
        .target(name: "IotopoGolden", dependencies: ["IotopoSource", "IotopoCompiler", "IotopoWorkload", "IotopoAnalysis", "IotopoReport"]),
        .executableTarget(
            name: "iotopo",
            dependencies: [
                "IotopoSource", "IotopoModel", "IotopoQuirks", "IotopoFirmware", "IotopoImport", "IotopoCompiler", "IotopoEngine", "IotopoWorkload", "IotopoAnalysis", "IotopoReport", "IotopoGolden",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "IotopoSourceTests", dependencies: ["IotopoSource"]),
        .testTarget(name: "IotopoYAMLTests", dependencies: ["IotopoYAML", "IotopoSource"]),
        .testTarget(name: "IotopoModelTests", dependencies: ["IotopoModel"]),
        .testTarget(name: "IotopoQuirksTests", dependencies: ["IotopoQuirks", "IotopoModel"]),
        .testTarget(name: "IotopoFirmwareTests", dependencies: ["IotopoFirmware"]),
        .testTarget(name: "IotopoImportTests", dependencies: ["IotopoImport", "IotopoQuirks", "IotopoModel", "IotopoSource", "IotopoCompiler", "IotopoAnalysis"]),
        .testTarget(name: "IotopoCompilerTests", dependencies: ["IotopoCompiler", "IotopoWorkload", "IotopoModel", "IotopoSource"], exclude: ["Regressions"]),
        .testTarget(name: "IotopoEngineTests", dependencies: ["IotopoEngine", "IotopoModel", "IotopoCompiler", "IotopoWorkload", "IotopoSource"]),
        .testTarget(name: "IotopoAnalysisTests", dependencies: ["IotopoAnalysis", "IotopoCompiler", "IotopoModel"]),
        .testTarget(name: "IotopoReportTests", dependencies: ["IotopoReport", "IotopoCompiler", "IotopoSource"]),
        .testTarget(name: "IotopoGoldenTests", dependencies: ["IotopoGolden", "IotopoReport", "IotopoSource"]),
        .testTarget(name: "IotopoEndToEndTests", dependencies: ["iotopo", "IotopoSource"], exclude: ["Resources"]),
    ]
)
