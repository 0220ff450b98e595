/// The gfmc version, printed by `gfmc --version` and recorded in every run manifest.
public enum GFMCVersion {
    public static let current = "0.1.0"
}
