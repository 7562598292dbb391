package dev.vmtree.cli;

import dev.vmtree.dom0.Refs;
import dev.vmtree.dom0.Toolstack;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree verify [--allowed-signers FILE] REF}: a signed tag's signature, signer and content. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify signed tag REF: its SSH signature, that the signer is in the allowed-signers file"
                + " (--allowed-signers, else config gpg.ssh.allowedSignersFile; principal = the tagger's e-mail), and"
                + " that every Git object and chunk its snapshot reaches is present and hashes to its id.",
            "Exit status 0 when all of that holds; 1 with the reason otherwise, also for a ref that is not a signed"
                + " tag (docs/security.md says what this proves)."})
public final class VerifyCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "--allowed-signers", paramLabel = "FILE", description = "The allowed-signers file to trust.")
    Path allowedSigners;

    @Parameters(index = "0", paramLabel = "REF", description = "A tag name or full ref name (refs/tags/NAME).")
    String ref;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            Refs.Verified v = ts.refs().verify(ref, allowedSigners);
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, new Json().beginObject().field("ref", v.ref()).field("target", v.target().hex())
                        .field("good", v.good()).field("signatureGood", v.signature().good())
                        .field("signer", v.signature().signer()).field("fingerprint", v.signature().fingerprint())
                        .field("chunks", v.content().chunksVerified()).field("promised", v.content().promised())
                        .field("gitObjects", v.content().gitObjectsVerified())
                        .field("problems", v.content().problems().size()).field("reason", v.reason()).endObject());
                return v.good() ? ExitCodes.OK : ExitCodes.FAILURE;
            }
            if (!v.good()) {
                throw new CliException(ExitCodes.FAILURE, v.reason());
            }
            Dom0Cli.say(spec, "good signature on " + v.ref() + " by " + v.signature().signer() + " ("
                    + v.signature().fingerprint() + "); " + v.content().snapshots() + " snapshots, "
                    + v.content().gitObjectsVerified() + " Git objects, " + v.content().chunksVerified() + " chunks verified"
                    + (v.content().promised() == 0 ? "" : "; " + v.content().promised() + " chunks are not here (a lazy"
                    + " clone's remote promises them; each is verified when fetched)"));
            return ExitCodes.OK;
        }
    }
}
