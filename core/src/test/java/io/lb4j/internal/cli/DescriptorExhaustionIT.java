package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar with {@code ulimit -n 64}: when descriptors run out, accepting pauses (no spin) on
 * every listener (relay, metrics, front-door health), the pairs already open keep flowing, and
 * accepting resumes once descriptors are freed.
 */
class DescriptorExhaustionIT {
    private static final int CLIENTS = 40;

    @Test
    void shouldPauseAcceptingWithoutSpinningAndResumeWhenDescriptorsFree() throws Exception {
        String jar = System.getProperty("lb4j.jar");
        assertTrue(jar != null && new File(jar).isFile(), "the packaged jar: " + jar);
        String java = System.getProperty("java.home") + "/bin/java";
        int metricsPort;
        int frontPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket free2 = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            metricsPort = free.getLocalPort(); // the runner does not print its metrics address
            frontPort = free2.getLocalPort();
        }
        try (EchoServer echo = EchoServer.start()) {
            Process p = new ProcessBuilder("bash", "-c", "ulimit -n 64 && exec \"$0\" -jar \"$1\" --listen 127.0.0.1:0"
                    + " --backend " + echo.hostPort() + " --probe none --threads 1 --drain-timeout 1s"
                    + " --metrics 127.0.0.1:" + metricsPort + " --front-health 127.0.0.1:" + frontPort
                    + " --front-health-mode tcp", java, jar)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<Socket> clients = new ArrayList<>();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Matcher m = Pattern.compile("lb4j listening on 127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(out.readLine()));
                assertTrue(m.matches(), "ready line");
                int port = Integer.parseInt(m.group(1));
                for (int i = 0; i < CLIENTS; i++) {
                    Socket s = new Socket("127.0.0.1", port); // completes in the kernel's backlog
                    clients.add(s);
                    s.getOutputStream().write('x');
                }
                List<Socket> served = new ArrayList<>();
                List<Socket> waiting = new ArrayList<>();
                for (Socket s : clients) {
                    (echoed(s, 300) ? served : waiting).add(s);
                }
                assertTrue(served.size() >= 5, "some clients are served: " + served.size());
                assertTrue(waiting.size() >= 5, "the descriptor limit stops the rest: " + waiting.size());

                // the metrics and front-door listeners become ready too, and their accept fails as well
                clients.add(new Socket("127.0.0.1", metricsPort));
                clients.add(new Socket("127.0.0.1", frontPort));
                long cpuBefore = cpuTicks(p.pid());
                Thread.sleep(2000); // a measuring window, not synchronisation
                long cpuTicks = cpuTicks(p.pid()) - cpuBefore;
                assertTrue(cpuTicks < 100, "paused, not spinning: " + cpuTicks + " ticks of CPU in 2 s");

                for (Socket s : served.subList(1, served.size())) {
                    s.getOutputStream().write('y');
                    assertTrue(echoed(s, 5000), "pairs already open keep flowing");
                }
                for (Socket s : served.subList(0, 5)) {
                    s.close();
                }
                List<Socket> stillWaiting = new ArrayList<>(waiting);
                Await.until("waiting clients served after descriptors were freed", () -> {
                    stillWaiting.removeIf(s -> echoedQuietly(s));
                    return stillWaiting.size() <= waiting.size() - 4;
                }, Duration.ofSeconds(15));
                for (Socket s : clients) {
                    s.close(); // the metrics endpoint needs a descriptor of its own to answer
                }
                String[] fetched = new String[1];
                Await.until("the metrics endpoint answers", () -> {
                    try {
                        fetched[0] = metrics(metricsPort);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                }, Duration.ofSeconds(20));
                String metrics = fetched[0];
                Matcher pauses = Pattern.compile("(?m)^lb4j_accept_resource_pauses_total (\\d+)$").matcher(metrics);
                assertTrue(pauses.find(), metrics);
                assertTrue(Long.parseLong(pauses.group(1)) >= 1, "the pauses are counted: " + pauses.group());
                // each listener failed a few times, backing off from 100 ms to 1 s (spinning: 10^5)
                Matcher faults = Pattern.compile("(?m)^lb4j_faults_total (\\d+)$").matcher(metrics);
                assertTrue(faults.find(), metrics);
                assertTrue(Long.parseLong(faults.group(1)) < 100, "faults: " + faults.group());
                p.destroy();
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue());
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
                p.destroyForcibly();
            }
        }
    }

    /** The body of {@code GET /metrics}. */
    private static String metrics(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(2_000);
            s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static boolean echoed(Socket s, int timeoutMs) throws IOException {
        s.setSoTimeout(timeoutMs);
        try {
            return s.getInputStream().read() >= 0;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private static boolean echoedQuietly(Socket s) {
        try {
            return echoed(s, 50);
        } catch (IOException e) {
            return false;
        }
    }

    /** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
