public import ArgumentParser
import Writer

/// `--platform x|instagram|tiktok|youtube` on the command line.
extension Platform: ExpressibleByArgument {}
