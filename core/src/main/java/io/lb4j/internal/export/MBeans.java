package io.lb4j.internal.export;

import io.lb4j.BalancerStats;
import io.lb4j.internal.Faults;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

/**
 * The balancer's figures as JMX MBeans on the platform MBean server: {@code
 * io.lb4j:type=Balancer,name="ADDRESS"} and one {@code io.lb4j:type=Backend,balancer="ADDRESS",
 * name="HOST:PORT"} per backend, read-only, each attribute read from a fresh {@code stats()} snapshot.
 * Dynamic MBeans, so that no internal package has to be opened to {@code java.management}.
 */
public final class MBeans {
    private static final String[] BALANCER_ATTRIBUTES = {
        "ActiveConnections", "TotalConnections", "RejectedConnections", "Backends", "UpBackends"};
    private static final String[] BACKEND_ATTRIBUTES = {
        "Up", "State", "Reason", "Weight", "AdminState", "ActiveConnections", "TotalConnections",
        "ConnectFailures", "BytesToBackend", "BytesToClient", "LastProbeLatencyNanos"};

    private final String balancer;
    private final Supplier<BalancerStats> stats;
    private final Faults faults;
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final Map<String, ObjectName> backends = new ConcurrentHashMap<>();
    private ObjectName balancerName;

    /**
     * @param balancer the balancer's name in object names (its first frontend address)
     * @param stats where figures come from
     * @param faults where registration failures are counted
     */
    public MBeans(String balancer, Supplier<BalancerStats> stats, Faults faults) {
        this.balancer = balancer;
        this.stats = stats;
        this.faults = faults;
    }

    /**
     * Whether the platform MBean server exists already. Creating it takes 150-200 ms in a JVM that has
     * none (it is made through {@code MBeanServerFactory}, which lists it once made), so a balancer
     * registers right away only when it exists and otherwise in the background.
     */
    public static boolean platformServerExists() {
        return !MBeanServerFactory.findMBeanServer(null).isEmpty();
    }

    /** The balancer MBean's object name. */
    public static ObjectName balancerName(String balancer) throws JMException {
        return new ObjectName("io.lb4j:type=Balancer,name=" + ObjectName.quote(balancer));
    }

    /** A backend MBean's object name. */
    public static ObjectName backendName(String balancer, String backend) throws JMException {
        return new ObjectName("io.lb4j:type=Backend,balancer=" + ObjectName.quote(balancer)
                + ",name=" + ObjectName.quote(backend));
    }

    /** Registers the balancer MBean. */
    public synchronized void registerBalancer() {
        try {
            ObjectName name = balancerName(balancer);
            server.registerMBean(new Bean("lb4j balancer " + balancer, BALANCER_ATTRIBUTES, s -> new Object[] {
                s.activeConnections(), s.totalConnections(), s.rejectedConnections(), s.backends().size(),
                (int) s.backends().stream().filter(BalancerStats.BackendStats::up).count()}), name);
            balancerName = name;
        } catch (JMException | RuntimeException e) {
            faults.record("jmx register", e);
        }
    }

    /** Registers the MBean of a backend that joined. */
    public void backendAdded(String backend) {
        try {
            ObjectName name = backendName(balancer, backend);
            server.registerMBean(new Bean("lb4j backend " + backend, BACKEND_ATTRIBUTES, s -> {
                for (BalancerStats.BackendStats b : s.backends()) {
                    if (b.backend().name().equals(backend)) {
                        return new Object[] {b.up(), b.state().name(), b.reason(), b.backend().weight(),
                            b.backend().adminState().name(), b.activeConnections(), b.totalConnections(),
                            b.connectFailures(), b.bytesToBackend(), b.bytesToClient(), b.lastProbeLatencyNanos()};
                    }
                }
                return null;
            }), name);
            backends.put(backend, name);
        } catch (JMException | RuntimeException e) {
            faults.record("jmx register", e);
        }
    }

    /** Unregisters the MBean of a backend that left. */
    public void backendRemoved(String backend) {
        ObjectName name = backends.remove(backend);
        if (name != null) {
            unregister(name);
        }
    }

    /** Unregisters every MBean this balancer registered. */
    public synchronized void unregisterAll() {
        for (String backend : new ArrayList<>(backends.keySet())) {
            backendRemoved(backend);
        }
        if (balancerName != null) {
            unregister(balancerName);
            balancerName = null;
        }
    }

    private void unregister(ObjectName name) {
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException ignored) {
            // already gone
        } catch (JMException | RuntimeException e) {
            faults.record("jmx unregister", e);
        }
    }

    /** A read-only dynamic MBean whose attributes are positions in one snapshot's values. */
    private final class Bean implements DynamicMBean {
        private final String[] names;
        private final Function<BalancerStats, Object[]> values;
        private final MBeanInfo info;

        Bean(String description, String[] names, Function<BalancerStats, Object[]> values) {
            this.names = names;
            this.values = values;
            Object[] sample = values.apply(new BalancerStats(0, 0, 0, List.of(), List.of(),
                    new BalancerStats.AcceptPauses(0, 0, 0), 0));
            MBeanAttributeInfo[] attributes = new MBeanAttributeInfo[names.length];
            for (int i = 0; i < names.length; i++) {
                String type = sample != null ? sample[i].getClass().getName() : typeOf(names[i]);
                attributes[i] = new MBeanAttributeInfo(names[i], type, names[i], true, false,
                        type.equals(Boolean.class.getName()));
            }
            this.info = new MBeanInfo(getClass().getName(), description, attributes, null, null, null);
        }

        @Override
        public Object getAttribute(String attribute) throws AttributeNotFoundException {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(attribute)) {
                    Object[] now = values.apply(stats.get());
                    return now == null ? null : now[i];
                }
            }
            throw new AttributeNotFoundException(attribute);
        }

        @Override
        public AttributeList getAttributes(String[] attributes) {
            Object[] now = values.apply(stats.get());
            AttributeList list = new AttributeList();
            for (String attribute : attributes) {
                for (int i = 0; i < names.length; i++) {
                    if (names[i].equals(attribute) && now != null) {
                        list.add(new Attribute(attribute, now[i]));
                    }
                }
            }
            return list;
        }

        @Override
        public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
            throw new AttributeNotFoundException(attribute.getName() + " is read-only");
        }

        @Override
        public AttributeList setAttributes(AttributeList attributes) {
            return new AttributeList();
        }

        @Override
        public Object invoke(String actionName, Object[] params, String[] signature) {
            throw new UnsupportedOperationException(actionName + ": no operations");
        }

        @Override
        public MBeanInfo getMBeanInfo() {
            return info;
        }
    }

    private static String typeOf(String attribute) {
        switch (attribute) {
            case "Up": return Boolean.class.getName();
            case "State": case "Reason": case "AdminState": return String.class.getName();
            case "Weight": return Integer.class.getName();
            default: return Long.class.getName();
        }
    }
}
