package io.lb4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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

    @Test
    void shouldKeepTheRootInternalPackageALeaf() {
        noClasses().that().resideInAPackage("io.lb4j.internal")
                .should().dependOnClassesThat().resideInAPackage("io.lb4j.internal.*..")
                .because("io.lb4j.internal holds shared leaf helpers (addresses, durations, ranges, faults, settings)")
                .check(MAIN);
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
