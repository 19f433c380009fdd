//! get-sli payloads (to be written).
