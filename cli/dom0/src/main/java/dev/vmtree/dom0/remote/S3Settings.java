package dev.vmtree.dom0.remote;

import dev.vmtree.dom0.ToolstackException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The endpoint, region and credentials of an S3 remote, found the way AWS's own tools find them
 * (docs/remotes.md, "Object stores"): Java system properties ({@code aws.accessKeyId}, ...), then
 * environment variables ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY},
 * {@code AWS_SESSION_TOKEN}, {@code AWS_REGION}, {@code AWS_ENDPOINT_URL_S3},
 * {@code AWS_ENDPOINT_URL}), then the profile {@code AWS_PROFILE} (else "default") of the shared
 * credentials and config files. An endpoint given on {@code remote add --endpoint} comes first; an
 * endpoint of any kind means an S3-compatible server, addressed path-style.
 *
 * @param lookup a system property or environment variable by name (null when unset)
 * @param home   the user's home directory, where ~/.aws/ is
 */
public record S3Settings(Function<String, String> lookup, Path home) {

    /** This process's system properties and environment, and the user's home. */
    public static S3Settings fromEnvironment() {
        return new S3Settings(name -> name.startsWith("aws.") ? System.getProperty(name) : System.getenv(name),
                Path.of(System.getProperty("user.home")));
    }

    /** Settings from a map of names (tests); the home directory holds no ~/.aws unless {@code home} does. */
    public static S3Settings of(Map<String, String> values, Path home) {
        return new S3Settings(values::get, home);
    }

    private String first(String property, String... variables) {
        String v = lookup.apply(property);
        for (int i = 0; (v == null || v.isBlank()) && i < variables.length; i++) {
            v = lookup.apply(variables[i]);
        }
        return v == null || v.isBlank() ? null : v.strip();
    }

    private ProfileFile profiles() {
        ProfileFile.Aggregator agg = ProfileFile.aggregator();
        String config = first("aws.configFile", "AWS_CONFIG_FILE");
        String credentials = first("aws.sharedCredentialsFile", "AWS_SHARED_CREDENTIALS_FILE");
        Path cfg = config != null ? Path.of(config) : home.resolve(".aws/config");
        Path cred = credentials != null ? Path.of(credentials) : home.resolve(".aws/credentials");
        if (Files.isRegularFile(cfg)) {
            agg.addFile(ProfileFile.builder().content(cfg).type(ProfileFile.Type.CONFIGURATION).build());
        }
        if (Files.isRegularFile(cred)) {
            agg.addFile(ProfileFile.builder().content(cred).type(ProfileFile.Type.CREDENTIALS).build());
        }
        return agg.build();
    }

    /** What a client for one remote is made of, resolved (the secret is never shown). */
    public record Resolved(URI endpoint, String region, AwsCredentials credentials, String profile,
                           ProfileFile profiles) {}

    /** Resolves everything for a remote whose configured endpoint is {@code endpoint} (or null). */
    public Resolved resolve(URI endpoint, String describe) {
        String profileName = Optional.ofNullable(first("aws.profile", "AWS_PROFILE")).orElse("default");
        ProfileFile pf;
        try {
            pf = profiles();
        } catch (RuntimeException e) {
            throw ToolstackException.badInput("cannot read the AWS profile files: " + e.getMessage());
        }
        Optional<Profile> profile = pf.profile(profileName);
        Function<String, String> fromProfile = key -> profile.flatMap(p -> p.property(key)).orElse(null);

        URI ep = endpoint;
        if (ep == null) {
            String s = first("aws.endpointUrlS3", "AWS_ENDPOINT_URL_S3");
            if (s == null) {
                s = first("aws.endpointUrl", "AWS_ENDPOINT_URL");
            }
            if (s == null) {
                s = fromProfile.apply("endpoint_url");
            }
            ep = s == null ? null : parseEndpoint(s);
        }
        String region = first("aws.region", "AWS_REGION", "AWS_DEFAULT_REGION");
        if (region == null) {
            region = fromProfile.apply("region");
        }
        if (region == null) {
            region = "us-east-1";
        }
        String key = first("aws.accessKeyId", "AWS_ACCESS_KEY_ID");
        String secret = first("aws.secretAccessKey", "AWS_SECRET_ACCESS_KEY");
        String token = first("aws.sessionToken", "AWS_SESSION_TOKEN");
        if (key == null || secret == null) {
            key = fromProfile.apply("aws_access_key_id");
            secret = fromProfile.apply("aws_secret_access_key");
            token = fromProfile.apply("aws_session_token");
        }
        if (key == null || secret == null) {
            throw ToolstackException.failed("no AWS credentials for " + describe + ": set AWS_ACCESS_KEY_ID and"
                    + " AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials (AWS_PROFILE names it)");
        }
        AwsCredentials creds = token == null ? AwsBasicCredentials.create(key, secret)
                : AwsSessionCredentials.create(key, secret, token);
        return new Resolved(ep, region, creds, profileName, pf);
    }

    /** An endpoint URL as {@code --endpoint} or AWS_ENDPOINT_URL give it: http(s)://host[:port][/path]. */
    public static URI parseEndpoint(String s) {
        try {
            URI u = new URI(s.strip());
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
                    || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                throw new URISyntaxException(s, "not http(s)://host[:port]");
            }
            return u;
        } catch (URISyntaxException e) {
            throw ToolstackException.badInput("not an S3 endpoint URL: '" + s.replaceAll("\\p{Cntrl}", "?")
                    + "' (http://host:port or https://host)");
        }
    }

    /**
     * A client for {@code r}: the JDK's HTTP client, the SDK's standard retries with backoff (up to
     * 6 attempts), checksums only where S3 requires them (many S3-compatible servers reject the
     * newer ones), path-style addressing for any explicit endpoint.
     */
    public static S3Client client(Resolved r) {
        return client(r, 6);
    }

    /** As {@link #client(Resolved)}, making at most {@code attempts} attempts of a request (1: no retries). */
    public static S3Client client(Resolved r, int attempts) {
        var b = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60))
                        .build())
                .region(Region.of(r.region()))
                .credentialsProvider(StaticCredentialsProvider.create(r.credentials()))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(attempts).build())
                        .defaultProfileFile(r.profiles())
                        .defaultProfileName(r.profile()));
        if (r.endpoint() != null) {
            b.endpointOverride(r.endpoint()).forcePathStyle(true);
        }
        return b.build();
    }
}
