package org.subhost.config;

/**
 * A {@code VAR=!command} value's command gave no value. The message completes the phrase
 * "command (...)", such as {@code failed with exit status 1}; the reader adds the file,
 * line, variable and command.
 */
final class ValueCommandException extends Exception {
    private static final long serialVersionUID = 1L;

    ValueCommandException(String message) {
        super(message);
    }
}
