public import ArgumentParser
import VectorMath

/// `--spherical` / `--euclidean` on the command line.
extension KMeans.Metric: EnumerableFlag {}
