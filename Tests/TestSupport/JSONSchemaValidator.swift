import Foundation

/// Validates JSON documents against a JSON Schema with Python's `jsonschema` (installed by
/// scripts/install-dependencies test), so the documented schemas are checked, not just written.
public enum JSONSchemaValidator {
    public static var isAvailable: Bool {
        (try? Command.run("python3", ["-c", "import jsonschema"]))?.status == 0
    }

    /// Returns the validation errors (empty when valid).
    public static func errors(document: Data, schema: URL) throws -> [String] {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            document = json.load(sys.stdin)
            validator = jsonschema.Draft202012Validator(schema)
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
                print("/".join(str(p) for p in error.path) + ": " + error.message)
            """
        let output = try Command.run("python3", ["-c", script, schema.path], input: document)
        if output.status != 0 { return ["validator failed: " + output.stderr] }
        return output.stdout.split(separator: "\n").map(String.init)
    }
}
