/// The study a coordinator serves: its identity hash (of the resolved description) and the resolved
/// description as JSON, sent to every worker in `welcome`.
public struct StudyIdentity: Equatable, Sendable {
    public var hash: String
    public var json: String

    public init(hash: String, json: String) {
        self.hash = hash
        self.json = json
    }
}
