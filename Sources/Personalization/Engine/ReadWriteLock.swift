internal import Glibc

/// A value behind a reader-writer lock: many readers at once, or one writer.
///
/// The engine's index is large and copy-on-write; readers use it in place while
/// they hold the lock, so a writer that takes the lock afterwards finds it uniquely
/// referenced and changes it without a copy.
final class ReadWriteLock<Value>: @unchecked Sendable {
    private var value: Value
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>
    /// The longest time a writer held the lock, in nanoseconds (written under the lock).
    private var longestWriteNanoseconds: Int64 = 0

    init(_ value: Value) {
        self.value = value
        lock = .allocate(capacity: 1)
        // Prefer writers: a steady stream of searches must not starve the change feed.
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` with the value, alongside other readers.
    func read<Result, Failure: Error>(_ body: (borrowing Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    /// Runs `body` with the value to change, alone.
    func write<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_rwlock_wrlock(lock)
        let started = ContinuousClock.now
        defer {
            let (seconds, attoseconds) = (ContinuousClock.now - started).components
            longestWriteNanoseconds = max(longestWriteNanoseconds, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            pthread_rwlock_unlock(lock)
        }
        return try body(&value)
    }

    /// The longest time a writer held the lock since it was made.
    var longestWrite: Duration {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return .nanoseconds(longestWriteNanoseconds)
    }
}
