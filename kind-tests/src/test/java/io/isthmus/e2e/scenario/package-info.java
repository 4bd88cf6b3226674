/**
 * The multi-cluster scenarios of the end-to-end suite, each against the shared local federation,
 * each counting every request into a {@link io.isthmus.e2e.support.ScenarioReport}.
 */
package io.isthmus.e2e.scenario;
