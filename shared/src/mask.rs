//! Masking of personal data for responses and log lines (`API.md` rules).
