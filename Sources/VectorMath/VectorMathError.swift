/// An error from the numeric core: a BLAS or LAPACK failure, bad data, or a malformed file.
///
/// Like `PSQLError`, the error is a struct with a ``Code`` that callers switch on, a
/// human-readable message, and where it was thrown.
public struct VectorMathError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case blasUnavailable, blasSelfTestFailed, lapackFailed
            case invalidArgument, dimensionMismatch, nonFiniteValue, zeroVector
            case malformedFile, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No BLAS library could be loaded, or it lacks a required function.
        public static let blasUnavailable = Code(.blasUnavailable)
        /// The loaded BLAS kernel computed wrong results in the start-up self-test.
        public static let blasSelfTestFailed = Code(.blasSelfTestFailed)
        /// A LAPACK routine reported `info != 0`.
        public static let lapackFailed = Code(.lapackFailed)
        /// A parameter is out of range (k ≤ 0, k > n, empty input, …).
        public static let invalidArgument = Code(.invalidArgument)
        /// Vectors or matrices whose dimensions do not agree.
        public static let dimensionMismatch = Code(.dimensionMismatch)
        /// A NaN or infinite component.
        public static let nonFiniteValue = Code(.nonFiniteValue)
        /// A vector of norm zero, which has no direction to compare.
        public static let zeroVector = Code(.zeroVector)
        /// A `.npy`, `.fvecs` or other file whose contents are not what its format promises.
        public static let malformedFile = Code(.malformedFile)
        /// A file could not be opened, read or written.
        public static let io = Code(.io)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The file that threw it.
    public var file: String
    /// The line that threw it.
    public var line: Int

    /// Creates an error; `file` and `line` default to the throwing site.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { message }
}
