/// A failure of a command after its arguments were accepted: ArgumentParser prints
/// "Error: " and the message, without the usage text (which a ValidationError would add).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
