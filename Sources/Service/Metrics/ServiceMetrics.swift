internal import CoreMetrics
internal import Foundation
internal import Metrics
internal import Prometheus
internal import Synchronization

/// The service's metrics, in a Prometheus registry of its own (two services in one process,
/// as in the tests, never mix their figures), written through swift-metrics.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let rates = Mutex(RequestRates())

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let buckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
            .map { Duration.nanoseconds(Int64($0 * 1e9)) }
        factory.defaultDurationHistogramBuckets = buckets
        self.factory = factory
    }

    /// Counts a finished request and records its latency, by method, route template and status.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        Counter(
            label: "onering_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))],
            factory: factory
        ).increment()
        Metrics.Timer(label: "onering_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
        rates.withLock { $0.record(route: route, at: Date()) }
    }

    /// Records the engine time of a search or a context (`operation`), by search mode.
    func recordEngine(_ operation: String, mode: String, duration: Duration) {
        Metrics.Timer(label: "onering_\(operation)_duration_seconds", dimensions: [("mode", mode)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// Counts a generation by how it ended.
    func recordGeneration(status: String) {
        Counter(label: "onering_generations_total", dimensions: [("status", status)], factory: factory).increment()
    }

    /// Sets a gauge.
    func set(_ name: String, _ value: Double, dimensions: [(String, String)] = []) {
        Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
    }

    /// Requests per second over the last minute, by route template, busiest first.
    func requestRates(at now: Date = Date()) -> [(route: String, perSecond: Double)] {
        rates.withLock { $0.perSecond(at: now) }
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

/// Requests per route in one-second slots over the last minute, for the dashboard.
struct RequestRates: Sendable {
    private static let seconds = 60
    private var slots: [(second: Int, counts: [String: Int])] = Array(repeating: (-1, [:]), count: seconds)

    mutating func record(route: String, at date: Date) {
        let second = Int(date.timeIntervalSince1970)
        let slot = second % Self.seconds
        if slots[slot].second != second { slots[slot] = (second, [:]) }
        slots[slot].counts[route, default: 0] += 1
    }

    func perSecond(at date: Date) -> [(route: String, perSecond: Double)] {
        let now = Int(date.timeIntervalSince1970)
        var totals: [String: Int] = [:]
        for slot in slots where slot.second > now - Self.seconds && slot.second <= now {
            for (route, count) in slot.counts { totals[route, default: 0] += count }
        }
        return totals.map { ($0.key, Double($0.value) / Double(Self.seconds)) }.sorted { $0.perSecond > $1.perSecond }
    }
}
