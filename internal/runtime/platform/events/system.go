package events

// The system's stream. These are stand-ins for microforge's tests: a
// generated system's are rendered from its blueprint.
const (
	// System is the name of the system, the first token of its subjects.
	System = "shop"
	// Stream is the JetStream stream holding every event of the system.
	Stream = "SHOP"
	// Subjects are the subjects Stream stores.
	Subjects = "shop.>"
)
