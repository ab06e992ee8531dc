package io.lb4j.benchmarks.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Command-line entry of the end-to-end load benchmark, used by {@code benchmarks/compare.sh}: {@code
 * serve} runs backends, {@code run} runs one measured workload and prints one {@code RESULT} line,
 * {@code table} turns the collected lines into the comparison table.
 */
public final class Load {
    private Load() {
    }

    /**
     * {@code serve MODE HOST PORT...} | {@code run --workload W --target HOST:PORT [options]} |
     * {@code table FILE}.
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: serve MODE HOST PORT... | run --workload W --target HOST:PORT ... | table FILE");
            System.exit(2);
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        switch (args[0]) {
            case "serve":
                BackendServer.main(rest);
                break;
            case "run":
                LoadClient.Result result = LoadClient.run(parse(rest));
                System.out.println(result.line());
                break;
            case "profile":
                Profile.main(rest);
                break;
            case "table":
                System.out.print(Table.render(Path.of(rest.get(0))));
                break;
            default:
                System.err.println("unknown command: " + args[0]);
                System.exit(2);
        }
    }

    private static LoadClient.Config parse(List<String> args) {
        LoadClient.Config c = new LoadClient.Config();
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            if (option.equals("--proxy-java")) {
                c.proxyJava = true;
                continue;
            }
            if (option.equals("--reconnect")) {
                c.reconnect = true;
                continue;
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(option + ": value missing");
            }
            String value = args.get(++i);
            switch (option) {
                case "--workload":
                    c.workload = LoadClient.Workload.parse(value);
                    break;
                case "--target":
                    int colon = value.lastIndexOf(':');
                    c.target = new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
                    break;
                case "--connections":
                    c.connections = Integer.parseInt(value);
                    break;
                case "--depth":
                    c.depth = Integer.parseInt(value);
                    break;
                case "--warmup":
                    c.warmupSeconds = Double.parseDouble(value);
                    break;
                case "--duration":
                    c.durationSeconds = Double.parseDouble(value);
                    break;
                case "--proxy-pid":
                    c.proxyPid = Long.parseLong(value);
                    break;
                case "--backend-pid":
                    c.backendPid = Long.parseLong(value);
                    break;
                case "--label":
                    c.label = value;
                    break;
                case "--hold":
                    c.holdSeconds = Double.parseDouble(value);
                    break;
                case "--settle":
                    c.settleSeconds = Double.parseDouble(value);
                    break;
                case "--host-threads":
                    c.hostThreads = value;
                    break;
                case "--run":
                    c.run = Integer.parseInt(value);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + option);
            }
        }
        if (c.target == null) {
            throw new IllegalArgumentException("--target: required");
        }
        return c;
    }
}
