package io.lb4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import io.lb4j.testing.FaultOracle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The layering rules of docs/ARCHITECTURE.md, checked on the compiled main classes: what must never be, so
 * that a change which breaks the house's shape fails the build instead of being found by the next reader.
 */
@ExtendWith(FaultOracle.class)
class LayeringTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.lb4j");

    /** The public types that build the hidden implementations: their factories are the only way in. */
    private static final Set<String> FACTORIES = Set.of("Balancer", "BalancingPolicy", "HealthProbe",
            "BackendRegistry", "ProxyProtocol", "ProbeTls");

    /** Each factory type and the package of the implementations it builds. */
    private static final Map<String, String> FACTORY_IMPLEMENTATIONS = Map.of(
            "io.lb4j.Balancer", "io.lb4j.internal.engine",
            "io.lb4j.BalancingPolicy", "io.lb4j.internal.policy",
            "io.lb4j.HealthProbe", "io.lb4j.internal.probe",
            "io.lb4j.ProbeTls", "io.lb4j.internal.probe",
            "io.lb4j.BackendRegistry", "io.lb4j.internal.registry",
            "io.lb4j.ProxyProtocol", "io.lb4j.internal.proxy");

    @Test
    void shouldImportTheMainClasses() {
        // guards the rules below against passing on an empty import
        assertTrue(MAIN.size() > 100, "classes imported: " + MAIN.size());
    }

    @Test
    void shouldReachInternalsFromThePublicPackageOnlyThroughFactories() {
        classes().that().resideInAPackage("io.lb4j")
                .and(DescribedPredicate.describe("are not factory types",
                        (JavaClass c) -> !FACTORIES.contains(topLevel(c).getSimpleName())))
                .should().onlyDependOnClassesThat().resideOutsideOfPackage("io.lb4j.internal..")
                .because("the public face hides the engine; only the factories name an implementation")
                .check(MAIN);
    }

    @Test
    void shouldNeverShowAnInternalTypeInAPublicSignature() {
        members().that().areDeclaredInClassesThat().resideInAPackage("io.lb4j")
                .and().arePublic()
                .should(notMentionInternalTypes())
                .check(MAIN);
    }

    @Test
    void shouldKeepPoliciesProbesAndRegistriesAwayFromTheRelay() {
        noClasses().that().resideInAnyPackage("io.lb4j.internal.policy..", "io.lb4j.internal.probe..",
                        "io.lb4j.internal.registry..")
                .should().dependOnClassesThat().resideInAnyPackage("io.lb4j.internal.relay..",
                        "io.lb4j.internal.engine..")
                .because("policies, probes and registries are plug points; the relay uses them, not the reverse")
                .check(MAIN);
        noClasses().that().resideInAPackage("io.lb4j.internal.policy..")
                .should().dependOnClassesThat().resideInAPackage("io.lb4j.internal.loop..")
                .because("a policy's pick runs on any loop and must not know one")
                .check(MAIN);
    }

    @Test
    void shouldLetOnlyTheCliUseTheCli() {
        noClasses().that().resideOutsideOfPackage("io.lb4j.internal.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.lb4j.internal.cli..")
                .because("the CLI is a front end over the public API")
                .check(MAIN);
    }

    @Test
    void shouldHaveNoImportCirclesAmongInternalPackages() {
        slices().assignedFrom(internalPackages()).should().beFreeOfCycles().check(MAIN);
    }

    /**
     * No two internal classes import each other, directly or round a circle: each file can be read, and
     * tested, before the ones that use it. Where a collaborator calls back into the class that uses it,
     * it declares the small interface it needs (as {@code WaitQueue.Client}).
     */
    @Test
    void shouldHaveNoImportCirclesAmongInternalClasses() {
        assertEquals(List.of(), circles(topLevelGraph(true)), "import circles among internal classes");
    }

    /**
     * A circle through the public package is allowed only between a factory type and the hidden
     * implementations it builds ({@code BalancingPolicy} and {@code internal.policy}, ...): an internal
     * class of any other package in such a circle (a settings record that names a plug point, used by
     * a plug point's implementation) fails.
     */
    @Test
    void shouldLetOnlyAFactoryAndItsImplementationsImportEachOther() {
        List<String> wrong = new ArrayList<>();
        for (Set<String> circle : circles(topLevelGraph(false))) {
            Set<String> allowed = new TreeSet<>();
            if (circle.stream().allMatch(member -> member.startsWith("io.lb4j.internal."))) {
                continue; // among internal classes alone: the rule above
            }
            for (String member : circle) {
                String implementations = FACTORY_IMPLEMENTATIONS.get(member);
                if (implementations != null) {
                    allowed.add(implementations);
                }
            }
            for (String member : circle) {
                String pkg = member.substring(0, member.lastIndexOf('.'));
                if (pkg.startsWith("io.lb4j.internal") && !allowed.contains(pkg)) {
                    wrong.add(member + " in the circle " + circle);
                }
            }
        }
        assertEquals(List.of(), wrong, "internal classes in a circle that is not a factory's over its implementations");
    }

    /**
     * Which top-level classes each top-level class of the main code depends on (a nested class counts
     * as its top-level one); with {@code internalOnly}, of the internal classes alone.
     */
    private static Map<String, Set<String>> topLevelGraph(boolean internalOnly) {
        String scope = internalOnly ? "io.lb4j.internal" : "io.lb4j";
        Map<String, Set<String>> graph = new TreeMap<>();
        for (JavaClass c : MAIN) {
            if (!c.getPackageName().startsWith(scope)) {
                continue;
            }
            JavaClass from = topLevel(c);
            Set<String> targets = graph.computeIfAbsent(from.getName(), k -> new TreeSet<>());
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = topLevel(d.getTargetClass().getBaseComponentType());
                if (target.getPackageName().startsWith(scope) && !target.equals(from)) {
                    targets.add(target.getName());
                }
            }
        }
        return graph;
    }

    @Test
    void shouldKeepTheRootInternalPackageALeaf() {
        noClasses().that().resideInAPackage("io.lb4j.internal")
                .should().dependOnClassesThat().resideInAPackage("io.lb4j.internal.*..")
                .because("io.lb4j.internal holds shared leaf helpers (addresses, durations, ranges, faults, settings)")
                .check(MAIN);
    }

    /** Strongly connected components of more than one node (Tarjan), each as the names in it. */
    private static List<Set<String>> circles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<Set<String>> found = new ArrayList<>();
        for (String start : graph.keySet()) {
            if (!index.containsKey(start)) {
                connect(start, graph, index, low, stack, onStack, found);
            }
        }
        return found;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                List<Set<String>> found) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, found);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                found.add(component);
            }
        }
    }

    /** One slice per package under io.lb4j.internal, the root package included. */
    private static SliceAssignment internalPackages() {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                String pkg = javaClass.getPackageName();
                return pkg.startsWith("io.lb4j.internal") ? SliceIdentifier.of(pkg) : SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "packages under io.lb4j.internal";
            }
        };
    }

    private static ArchCondition<JavaMember> notMentionInternalTypes() {
        return new ArchCondition<>("not mention io.lb4j.internal types in their signature") {
            @Override
            public void check(JavaMember member, ConditionEvents events) {
                if (!member.getOwner().getModifiers().contains(JavaModifier.PUBLIC)) {
                    return;
                }
                List<JavaClass> types = new ArrayList<>();
                if (member instanceof JavaField field) {
                    types.add(field.getRawType());
                } else if (member instanceof JavaCodeUnit code) {
                    types.add(code.getRawReturnType());
                    types.addAll(code.getRawParameterTypes());
                    code.getThrowsClause().getTypes().forEach(types::add);
                }
                for (JavaClass type : types) {
                    if (type.getPackageName().startsWith("io.lb4j.internal")) {
                        events.add(SimpleConditionEvent.violated(member,
                                member.getFullName() + " shows " + type.getName()));
                    }
                }
            }
        };
    }

    private static JavaClass topLevel(JavaClass c) {
        JavaClass t = c;
        while (t.getEnclosingClass().isPresent()) {
            t = t.getEnclosingClass().get();
        }
        return t;
    }
}
