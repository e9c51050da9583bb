// Sends the request to the upstream given in the configuration.
// Do not run this command by hand: the service manager starts it.
/* The handler ignores previous values of the header. */
const url = "https://example.com//path"; // a URL with a double slash
