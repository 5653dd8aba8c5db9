public enum LiqSyncVersion { public static let current = "0.1.0" }
