// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver by Selenium (nothing is
 * downloaded: both are named explicitly, so Selenium Manager has nothing to look for). Missing
 * either is a failure that names the packages, never a skip: the admin page's must-show runs in CI.
 * Other paths: {@code -Dcairn.chromium=...}, {@code -Dcairn.chromedriver=...}.
 *
 * <p>The page redraws its tables twice a second, so what the tests read they read in one script
 * ({@link #text}) rather than through element handles that the next redraw makes stale.
 */
final class HeadlessChromium implements AutoCloseable {
    private final WebDriver driver;

    private HeadlessChromium(WebDriver driver) { this.driver = driver; }

    /** @param profile an empty directory for the browser's profile */
    static HeadlessChromium open(Path profile) {
        Path browser = Path.of(System.getProperty("cairn.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("cairn.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(browser) || !Files.isExecutable(chromedriver)) {
            throw new AssertionError("the admin page's browser tests need Debian's packages chromium and chromium-driver ("
                    + browser + ", " + chromedriver + "): apt-get install chromium chromium-driver (.ci/run installs them)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser.toFile());
        // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--window-size=1280,900",
                "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        return new HeadlessChromium(new ChromeDriver(service, options));
    }

    void get(String url) { driver.get(url); }

    String currentUrl() { return driver.getCurrentUrl(); }

    void refresh() { driver.navigate().refresh(); }

    /** Runs a script in the page; its return value. */
    Object script(String js, Object... args) { return ((JavascriptExecutor) driver).executeScript(js, args); }

    /** The text of the first element the CSS selector finds, or null when there is none. */
    String text(String css) {
        return (String) script("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css);
    }

    /** How many elements the CSS selector finds. */
    long count(String css) { return (Long) script("return document.querySelectorAll(arguments[0]).length;", css); }

    boolean visible(String css) {
        return (Boolean) script("const e = document.querySelector(arguments[0]); return !!e && !e.hidden && e.offsetParent !== null;", css);
    }

    /**
     * Polls the page every 20 ms until {@code shown} holds; how long that took. Measuring, not only
     * waiting: the pause is short so the figure is not the poller's. Fails after {@code limit}
     * with {@code what} and the page's text.
     */
    Duration await(Duration limit, String what, Supplier<Boolean> shown) throws InterruptedException {
        long start = System.nanoTime();
        while (true) {
            if (Boolean.TRUE.equals(shown.get())) return Duration.ofNanos(System.nanoTime() - start);
            if (System.nanoTime() - start > limit.toNanos()) {
                throw new AssertionError("the page did not show " + what + " within " + limit + "; it shows:\n" + script("return document.body.innerText;"));
            }
            Thread.sleep(20);
        }
    }

    /** Saves what the page looks like (a 1280x900 window), for a person to look at. */
    void screenshot(Path png) throws java.io.IOException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    }

    @Override public void close() { driver.quit(); }
}
