import Foundation
import Testing
import _TestSupport

@testable import ProfileStore

@Suite("pgvector binary codec, against the server")
struct PGVectorCodecTests {
    /// Awkward floats: signed zero, subnormals, extremes, values with every mantissa bit set.
    static let awkward: [Float] = [
        0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, 0.1, 1.0 / 3.0, Float(bitPattern: 0x3F7F_FFFF), 1e-30, 123_456.79,
    ]

    @Test("vector round-trips through the server with the exact bits")
    func vectorRoundTrip() async throws {
        try await TestDatabase.withStore { store in
            let values = Self.awkward
            let back = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query("SELECT $1::vector", [.vector(values)]).vector(0, 0)
            }
            #expect(back.map { $0.bitPattern } == values.map { $0.bitPattern })
        }
    }

    @Test("the server reads our binary vector as the same value as its text form")
    func binaryMatchesText() async throws {
        try await TestDatabase.withStore { store in
            let values: [Float] = [0.5, -2.25, 1e-3, 42]
            let equal = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query("SELECT $1::vector = '[0.5,-2.25,0.001,42]'::vector", [.vector(values)]).bool(0, 0)
            }
            #expect(equal)
        }
    }

    @Test("the server rejects a vector with NaN")
    func rejectsNaN() async throws {
        try await TestDatabase.withStore { store in
            await #expect(throws: ProfileStoreError.self) {
                try await store.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.query("SELECT $1::vector", [.vector([1, .nan])]).rowCount
                }
            }
        }
    }

    @Test("other binary types round-trip: text[], int8[], timestamptz, bytea, xid8, empty text, NULL")
    func otherTypes() async throws {
        try await TestDatabase.withStore { store in
            let date = Date(timeIntervalSince1970: 1_788_000_000.123456)
            let row = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                let result = try connection.query(
                    "SELECT $1::text[], cardinality($2::int8[]), $3::timestamptz, $4::bytea, $5::xid8, $6::text, $7::text = '', $8::int8 IS NULL",
                    [
                        .textArray(["a", "", "émoji 🚀"]), .int64Array([1, 2, 3]), .timestamp(date), .bytea([0, 255, 7]), .xid8(1 << 40), .text("ü"), .text(""),
                        .null,
                    ]
                )
                return (
                    try result.stringArray(0, 0), try result.int64(0, 1), try result.date(0, 2),
                    try result.byteArray(0, 3), try result.uint64(0, 4), try result.string(0, 5),
                    [try result.bool(0, 6), try result.bool(0, 7)]
                )
            }
            #expect(row.0 == ["a", "", "émoji 🚀"])
            #expect(row.1 == 3)
            #expect(abs(row.2.timeIntervalSince(date)) < 1e-6)
            #expect(row.3 == [0, 255, 7])
            #expect(row.4 == 1 << 40)
            #expect(row.5 == "ü")
            #expect(row.6 == [true, true], "an empty string and a NULL travel as such")
        }
    }

    @Test("a vector longer than pgvector's limit is refused before it is sent")
    func tooLong() async throws {
        try await TestDatabase.withStore { store in
            let error = await #expect(throws: ProfileStoreError.self) {
                try await store.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.query("SELECT $1::vector", [.vector([Float](repeating: 0.5, count: 40_000))]).rowCount
                }
            }
            #expect(error?.code == .invalidInput && error?.message.contains("40000 dimensions") == true)
        }
    }

    @Test("a COPY tuple with a negative field count is a decoding error, not a crash")
    func negativeFieldCount() throws {
        var message: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
        message += [0, 0, 0, 0, 0, 0, 0, 0]  // flags, extension length
        message += [0xFF, 0xFE]  // field count -2
        var parser = CopyOutParser()
        let error = #expect(throws: ProfileStoreError.self) {
            try message.withUnsafeBytes { (bytes) throws(ProfileStoreError) in try parser.parse(bytes) { _ in } }
        }
        #expect(error?.code == .decoding)
    }
}
