/// The fields of one tuple of a binary `COPY … TO STDOUT`; valid only inside the row callback.
struct CopyOutFields {
    private let bytes: UnsafeRawBufferPointer
    private let ranges: UnsafeBufferPointer<Range<Int>?>

    init(bytes: UnsafeRawBufferPointer, ranges: UnsafeBufferPointer<Range<Int>?>) {
        self.bytes = bytes
        self.ranges = ranges
    }

    var count: Int { ranges.count }

    /// The bytes of field `index`, or nil for NULL.
    subscript(index: Int) -> UnsafeRawBufferPointer? {
        ranges[index].map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
    }

    /// Field `index` as an `int8`.
    func int64(_ index: Int) throws(ProfileStoreError) -> Int64 {
        guard let field = self[index], field.count == 8 else {
            throw ProfileStoreError(.decoding, "COPY field \(index) is not an int8")
        }
        var reader = WireReader(field)
        return try reader.read(Int64.self)
    }
}

/// Splits the messages of a binary `COPY … TO STDOUT` into tuples.
///
/// The server sends the 19-byte header (plus any extension area) before the
/// first tuple, then one tuple per message, then a trailer of field count -1.
struct CopyOutParser {
    private static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
    private var sawHeader = false
    private var ranges: [Range<Int>?] = []

    /// Parses one message; calls `row` for each tuple in it and returns how many there were.
    mutating func parse(
        _ message: UnsafeRawBufferPointer,
        _ row: (CopyOutFields) throws(ProfileStoreError) -> Void
    ) throws(ProfileStoreError) -> Int {
        var reader = WireReader(message)
        if !sawHeader {
            let signature = try reader.readBytes(Self.signature.count)
            guard signature.elementsEqual(Self.signature) else {
                throw ProfileStoreError(.decoding, "COPY output does not start with the binary signature")
            }
            _ = try reader.read(Int32.self)
            let extensionLength = Int(try reader.read(Int32.self))
            _ = try reader.readBytes(extensionLength)
            sawHeader = true
        }
        var tuples = 0
        while reader.remaining > 0 {
            let fields = Int(try reader.read(Int16.self))
            if fields == -1 { break }
            guard fields >= 0 else { throw ProfileStoreError(.decoding, "a COPY tuple announces \(fields) fields") }
            ranges.removeAll(keepingCapacity: true)
            for _ in 0..<fields {
                let length = Int(try reader.read(Int32.self))
                if length < 0 {
                    ranges.append(nil)
                } else {
                    let start = reader.offset
                    _ = try reader.readBytes(length)
                    ranges.append(start..<start + length)
                }
            }
            try ranges.withUnsafeBufferPointer { (ranges) throws(ProfileStoreError) in
                try row(CopyOutFields(bytes: message, ranges: ranges))
            }
            tuples += 1
        }
        return tuples
    }
}
