package dev.phasegate.postgres;

/** Where and as whom to connect; read from a Secret. toString never shows the password or the URL's query. */
public record ConnectionSettings(String jdbcUrl, String username, String password) {

    /** host:port/database for messages: a URL's query string may carry credentials, so it is dropped. */
    public String describe() {
        String s = jdbcUrl == null ? "" : jdbcUrl.replaceFirst("^jdbc:postgresql://", "");
        int q = s.indexOf('?');
        return q >= 0 ? s.substring(0, q) : s;
    }

    @Override
    public String toString() {
        return "ConnectionSettings[" + describe() + " as " + username + "]";
    }
}
