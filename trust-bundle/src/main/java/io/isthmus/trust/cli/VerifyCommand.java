package io.isthmus.trust.cli;

import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.bundle.ChainVerification;
import io.isthmus.trust.bundle.TrustBundle;
import io.isthmus.trust.pem.Pem;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isthmus ca verify}: checks a certificate chain against a trust bundle, as a peer would. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a certificate chain against a trust bundle, as a peer would.",
            "The chain must lead to a root of the bundle, every certificate must be",
            "valid now (or at --at), path lengths must hold, and the leaf must carry",
            "exactly one SPIFFE ID of the trust domain. Prints the SPIFFE ID, or the",
            "reason it was refused (EXPIRED, NOT_YET_VALID, UNKNOWN_ISSUER,",
            "WRONG_TRUST_DOMAIN, PATH_LENGTH_EXCEEDED, NOT_SPIFFE, INVALID_CHAIN)",
            "and exits 1."})
final class VerifyCommand extends CaSubcommand {
    @Option(names = "--bundle", required = true, paramLabel = "FILE", description = "PEM file of the trusted root(s), e.g. root-cert.pem.")
    Path bundle;

    @Option(names = "--trust-domain", defaultValue = SpiffeId.DEFAULT_TRUST_DOMAIN, paramLabel = "TD",
            description = "Trust domain the peer must belong to (default ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--alias", paramLabel = "TD", description = "Another trust domain to accept (repeatable).")
    List<String> aliases = new ArrayList<>();

    @Option(names = "--untrusted", paramLabel = "FILE", description = "Intermediates, if CERT holds only the leaf.")
    Path untrusted;

    @Option(names = "--at", paramLabel = "INSTANT", description = "Verify at this time (ISO-8601, e.g. 2030-01-01T00:00:00Z) instead of now.")
    String at;

    @Parameters(index = "0", paramLabel = "CERT", description = "PEM file: the leaf, optionally followed by its chain (cert-chain.pem).")
    Path cert;

    @Override
    int execute() {
        TrustBundle b = TrustBundle.read(trustDomain, bundle).withAliases(new HashSet<>(aliases));
        List<X509Certificate> chain = new ArrayList<>(Pem.readCertificates(cert));
        if (untrusted != null) {
            chain.addAll(Pem.readCertificates(untrusted));
        }
        Instant when;
        try {
            when = at == null ? Instant.now() : Instant.parse(at);
        } catch (DateTimeParseException e) {
            err().println("error: --at '" + at + "' is not an ISO-8601 instant such as 2030-01-01T00:00:00Z");
            return 2;
        }
        ChainVerification v = b.verify(chain, when);
        if (v.ok()) {
            out().println("OK: " + cert + " is " + v.peer());
            return OK;
        }
        out().println("REFUSED: " + v.failure() + ": " + v.message());
        return FAILED;
    }
}
