internal import Dispatch

/// Runs long CPU work (k-means, PCA, bulk scans) on a dispatch queue, so it never
/// occupies one of Swift's cooperative threads that request handlers need.
enum Offload {
    private static let queue = DispatchQueue(label: "onering.compute", qos: .userInitiated, attributes: .concurrent)

    static func run<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(Failure) { continuation.resume(returning: .success(try work())) } catch { continuation.resume(returning: .failure(error)) }
            }
        }
        return try result.get()
    }
}
